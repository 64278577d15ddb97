using System.Text.Json;
using System.Text.Json.Nodes;
using Chorus.IO;
using Chorus.Runs;

namespace Chorus.Study.Cluster;

/// <summary>One <c>chorus slurm submit</c>: the jobs it submitted, kept in <c>slurm/submissions.json</c> (newest last).</summary>
/// <param name="SubmittedUtc">When.</param>
/// <param name="Ranges">The member range of each array index (the same list in every submission of a run).</param>
/// <param name="Members">Ensemble size.</param>
/// <param name="Methods">Attribution methods (what "explained" means per member).</param>
/// <param name="PrepareJob">The preparation job's id, or null when the run was already prepared.</param>
/// <param name="ArrayJob">The member array's id, or null when every member was done.</param>
/// <param name="ArrayIndices">The array indices submitted (only ranges with missing work).</param>
/// <param name="MergeJob">The merge job's id.</param>
public sealed record SlurmSubmission(
    DateTime SubmittedUtc,
    IReadOnlyList<string> Ranges,
    int Members,
    IReadOnlyList<string> Methods,
    string? PrepareJob,
    string? ArrayJob,
    IReadOnlyList<int> ArrayIndices,
    string? MergeJob)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The file: <c>slurm/submissions.json</c>.</summary>
    public static string FileIn(string slurmDir) => Path.Combine(slurmDir, "submissions.json");

    /// <summary>Every submission recorded in <paramref name="slurmDir"/>, oldest first; empty when none.</summary>
    /// <exception cref="ChorusException">The file is not a list of submissions.</exception>
    public static IReadOnlyList<SlurmSubmission> Load(string slurmDir)
    {
        var path = FileIn(slurmDir);
        if (!File.Exists(path))
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize<List<SlurmSubmission>>(File.ReadAllText(path), Json) ?? [];
        }
        catch (JsonException e)
        {
            throw new ChorusException($"{path}: not a list of Slurm submissions ({e.Message}); move it away to start the record afresh.");
        }
    }

    /// <summary>Adds <paramref name="submission"/> to the record (atomically: temp file and rename).</summary>
    public static void Append(string slurmDir, SlurmSubmission submission)
    {
        var all = Load(slurmDir).Append(submission).ToList();
        AtomicFile.WriteAllText(FileIn(slurmDir), JsonSerializer.Serialize(all, Json));
    }

    /// <summary>The job ids of this submission, in order.</summary>
    public IEnumerable<string> JobIds => new[] { PrepareJob, ArrayJob, MergeJob }.OfType<string>();

    /// <summary>The member ranges, parsed.</summary>
    public IReadOnlyList<MemberRange> MemberRanges => [.. Ranges.Select(MemberRange.Parse)];
}
