// Tests run one at a time: libtorch's global random generator and thread pool are process-wide,
// and the seeded/bitwise tests (resume identity, sampling) must not interleave with other fixtures.
[assembly: NonParallelizable]
