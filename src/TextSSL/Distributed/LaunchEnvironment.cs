using System.Globalization;

namespace TextSSL.Distributed;

/// <summary>
/// What an MPI launcher told this process through its environment, read before any MPI library is loaded:
/// Open MPI's <c>mpirun</c> sets <c>OMPI_COMM_WORLD_SIZE</c>, <c>OMPI_COMM_WORLD_RANK</c> and
/// <c>OMPI_COMM_WORLD_LOCAL_RANK</c> in every rank.
/// </summary>
/// <param name="Size">Number of ranks.</param>
/// <param name="Rank">This process's rank (0 … Size-1).</param>
/// <param name="LocalRank">This process's rank among the ranks on its machine.</param>
internal sealed record LaunchEnvironment(int Size, int Rank, int LocalRank)
{
    /// <summary>The launch seen in this process's environment, or null when it was not started by <c>mpirun</c>.</summary>
    public static LaunchEnvironment? Detect() => Detect(Environment.GetEnvironmentVariable);

    /// <summary>The launch described by <paramref name="variable"/> (an environment lookup), or null.</summary>
    /// <exception cref="TextSslException">The variables are present but inconsistent.</exception>
    public static LaunchEnvironment? Detect(Func<string, string?> variable)
    {
        var size = variable("OMPI_COMM_WORLD_SIZE");
        if (string.IsNullOrEmpty(size)) return null;
        int Read(string name, string? text) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v
                : throw new TextSslException($"the MPI launcher set {name}='{text}', which is not a rank number; launch again with mpirun.");
        var launch = new LaunchEnvironment(Read("OMPI_COMM_WORLD_SIZE", size), Read("OMPI_COMM_WORLD_RANK", variable("OMPI_COMM_WORLD_RANK")),
                                           Read("OMPI_COMM_WORLD_LOCAL_RANK", variable("OMPI_COMM_WORLD_LOCAL_RANK") ?? "0"));
        if (launch.Size < 1 || launch.Rank >= launch.Size)
            throw new TextSslException($"the MPI launcher set rank {launch.Rank} of {launch.Size}, which is inconsistent; launch again with mpirun.");
        return launch;
    }
}
