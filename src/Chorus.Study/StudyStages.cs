using Chorus.Ensembles;
using Chorus.Evaluation;
using Chorus.Runs;
using Chorus.Torch.Faithfulness;
using Chorus.Torch.Training;

namespace Chorus.Study;

/// <summary>
/// The study in stages, for .NET callers and schedulers: each stage reads and writes the run folder only
/// (<see cref="Layout"/>), is idempotent, and resumes what an interrupted call left; stages that take a member range can
/// run in several processes at once on one folder (members are locked while worked on).
/// <code>
/// var study = new StudyStages(settings);
/// study.TrainMembers(MemberRange.Parse("0-3"));     // on one machine …
/// study.ExplainMembers(MemberRange.Parse("0-3"));
/// study.ExplainMembers(MemberRange.Parse("4-10"));  // … and the rest elsewhere (trains what it needs)
/// study.Evaluate();                                 // when every member is there
/// study.Report();
/// </code>
/// <see cref="Run"/> does it all in one call, as <c>chorus demo</c>.
/// </summary>
public sealed class StudyStages
{
    private readonly StudySettings _settings;
    private readonly IStudyReporter _reporter;

    /// <param name="settings">Every option of the study; <see cref="StudySettings.MemberRange"/> is ignored (stages take their own).</param>
    /// <param name="reporter">Lines and progress; default: none.</param>
    public StudyStages(StudySettings settings, IStudyReporter? reporter = null)
    {
        _settings = (settings ?? throw new ArgumentNullException(nameof(settings))) with { MemberRange = null };
        _reporter = reporter ?? new SilentStudyReporter();
        Layout = new RunLayout(_settings.Out);
    }

    /// <summary>The run folder's paths.</summary>
    public RunLayout Layout { get; }

    /// <summary>
    /// Stage 1 alone, once before member ranges run in parallel: the dataset, the members' shared start (with its
    /// pre-training) and, for a frozen trunk, its outputs per image. Member stages reuse them.
    /// </summary>
    public void Prepare(CancellationToken cancellationToken = default) =>
        new StudyRunner(_reporter, _settings).PrepareOnly("prepare", cancellationToken);

    /// <summary>Per member: trained, explained (every method's maps), or being worked on now.</summary>
    public StudyProgress Progress() => StudyProgress.Read(Layout, _settings.Training.Members, _settings.Methods);

    /// <summary>Stage 1 and 2: the dataset (generated when the settings have no data folder) and the members of <paramref name="range"/> (default: all).</summary>
    public IReadOnlyList<MemberResult> TrainMembers(MemberRange? range = null, CancellationToken cancellationToken = default) =>
        new StudyRunner(_reporter, _settings with { MemberRange = range }).TrainOnly("train", cancellationToken);

    /// <summary>Stage 3: the maps of the members of <paramref name="range"/> (default: all), training those that are missing.</summary>
    public void ExplainMembers(MemberRange? range = null, CancellationToken cancellationToken = default) =>
        new StudyRunner(_reporter, _settings with { MemberRange = range ?? MemberRange.All(_settings.Training.Members) }).RunMembers("explain", cancellationToken);

    /// <summary>
    /// Stage 4: Ens-Avg vs Exp-Avg from the maps on disk (<c>results.csv</c>, <c>per_image.csv</c>, <c>summary.json</c>,
    /// <c>curves.csv</c>), aggregated by <paramref name="aggregator"/> (default: the settings' rule).
    /// </summary>
    /// <exception cref="ChorusException">A member's maps are missing; the message names the file.</exception>
    public IReadOnlyList<MetricComparison> Evaluate(IEnsembleAggregator? aggregator = null, IReadOnlyList<string>? metrics = null)
    {
        var run = Load() with { Aggregator = aggregator ?? _settings.Aggregator };
        var names = metrics ?? _settings.Metrics ?? RecordedMetrics(run) ?? Chorus.Metrics.MetricRegistry.DefaultNames;
        var comparisons = RunOutputs.Evaluate(run, names);
        RunOutputs.Curves(run, names);
        return comparisons;
    }

    /// <summary>Stage 5 (optional): deletion and insertion AUCs of the first <paramref name="images"/> explained images.</summary>
    public IReadOnlyList<MetricComparison> Faithfulness(FaithfulnessOptions? options = null, int images = FaithfulnessRunner.DefaultImages, CancellationToken cancellationToken = default) =>
        StudyRunner.RunFaithfulness(_reporter, Load(), options ?? FaithfulnessRunner.DefaultOptions, images, cancellationToken);

    /// <summary>Stage 6: <c>report.html</c> with its plots; returns its path.</summary>
    public string Report(int galleryImages = 3) => RunOutputs.Report(Load(), galleryImages);

    /// <summary>Every stage in one process (what <c>chorus demo</c> runs): returns the evaluation per method and part.</summary>
    public StudyOutcome Run(CancellationToken cancellationToken = default) =>
        new StudyRunner(_reporter, _settings).Run("study", cancellationToken);

    private RunData Load() => RunFolder.Load(_settings.Out, _settings.Data, note => _reporter.Message(StudyMessageKind.Detail, note));

    // The metrics the study resolved from its dataset (the manifest's options.study.Metrics).
    internal static IReadOnlyList<string>? RecordedMetrics(RunData run) =>
        run.Manifest["options"]?["study"]?["Metrics"] is System.Text.Json.Nodes.JsonArray a ? [.. a.Select(n => n!.GetValue<string>())] : null;
}
