// Tests share one libtorch runtime; fixtures run in parallel, tests within a fixture in order.
[assembly: Parallelizable(ParallelScope.Fixtures)]
[assembly: LevelOfParallelism(2)]
