using System.Globalization;
using Chorus.Torch.Explaining;
using Chorus.Torch.Training;

namespace Chorus.Study;

/// <summary>
/// Every path of a run folder (the <c>--out</c> of <c>chorus demo</c>), in one place: the study and the commands ask this
/// type, never <c>Path.Combine</c> with a file name of their own. The members' checkpoints and maps are named by the
/// Chorus.Torch components that write them (<see cref="EnsembleTrainer"/>, <see cref="EnsembleExplainer"/>), which this
/// type asks in turn; the report's own files (<c>report.html</c>, <c>figures/</c>, <c>plots/</c>) by <c>HtmlReport</c>.
/// </summary>
/// <param name="Folder">The run folder.</param>
public sealed record RunLayout(string Folder)
{
    /// <summary><c>manifest.json</c>: seeds, options, versions, machine, timings, results.</summary>
    public string Manifest => Path.Combine(Folder, "manifest.json");

    /// <summary><c>data/</c>: a generated dataset (SynthBirds, SynthLesions) when the study has no <c>--data</c>.</summary>
    public string GeneratedData => Path.Combine(Folder, "data");

    /// <summary><c>skipped.csv</c>: the images left out as unreadable.</summary>
    public string Skipped => Path.Combine(Folder, "skipped.csv");

    /// <summary><c>results.csv</c>.</summary>
    public string Results => Path.Combine(Folder, "results.csv");

    /// <summary><c>per_image.csv</c>.</summary>
    public string PerImage => Path.Combine(Folder, "per_image.csv");

    /// <summary><c>summary.json</c>.</summary>
    public string Summary => Path.Combine(Folder, "summary.json");

    /// <summary><c>curves.csv</c>: the ensemble-size curves.</summary>
    public string Curves => Path.Combine(Folder, "curves.csv");

    /// <summary><c>controls.csv</c>: Ens-Avg against the smoothing and centre-prior controls (<c>evaluate --controls</c>).</summary>
    public string Controls => Path.Combine(Folder, "controls.csv");

    /// <summary><c>faithfulness.csv</c>.</summary>
    public string Faithfulness => Path.Combine(Folder, "faithfulness.csv");

    /// <summary><c>faithfulness_per_image.csv</c>.</summary>
    public string FaithfulnessPerImage => Path.Combine(Folder, "faithfulness_per_image.csv");

    /// <summary><c>faithfulness_curves.csv</c>.</summary>
    public string FaithfulnessCurves => Path.Combine(Folder, "faithfulness_curves.csv");

    /// <summary><c>figures/&lt;method&gt;/image-&lt;id&gt;-&lt;part&gt;.png</c>: one image's members and ensemble map.</summary>
    public string Figure(string method, int imageId, string part) =>
        Path.Combine(Folder, "figures", method, string.Create(CultureInfo.InvariantCulture, $"image-{imageId}-{part}.png"));

    /// <summary><c>run/</c>: everything the members are made of (checkpoints, maps, caches, locks).</summary>
    public string Run => Path.Combine(Folder, "run");

    /// <summary><c>run/explained.json</c>: the test images explained, in map order.</summary>
    public string Explained => Path.Combine(Run, "explained.json");

    /// <summary><c>run/maps/settings.txt</c>: the explanation settings the maps were computed with.</summary>
    public string MapSettings => Path.Combine(Run, "maps", "settings.txt");

    /// <summary><c>run/maps/&lt;method&gt;/member-XX.npy</c>.</summary>
    public string Maps(string method, int member) => EnsembleExplainer.MapsPath(Run, method, member);

    /// <summary><c>run/members/member-XX.safetensors</c>.</summary>
    public string Checkpoint(int member) => EnsembleTrainer.CheckpointPath(Run, member);

    /// <summary><c>run/cache/</c>: frozen-trunk outputs, when the study has no <c>--cache</c>.</summary>
    public string TrunkCache => Path.Combine(Run, "cache");

    /// <summary><c>run/locks/data.lock</c>: held while one process generates the dataset.</summary>
    public string DataLock => Path.Combine(Run, "locks", "data.lock");

    /// <summary>
    /// <c>run/tasks/members-A-B.json</c>: the manifest of the process that trained and explained members A to B (the shared
    /// <see cref="Manifest"/> is the last writer's; this one is each range's own: its timings, machine and accuracies).
    /// </summary>
    public string TaskManifest(Chorus.Runs.MemberRange range) => Path.Combine(Run, "tasks", $"members-{range}.json");

    /// <summary><c>run/costs.json</c>: seconds to train and to explain the whole ensemble, from the run that did the work.</summary>
    public string Costs => Path.Combine(Run, "costs.json");

    /// <summary>The training images the smoothing control's σ is fitted on, explained by every member: <c>controls/train</c>, a folder of this layout.</summary>
    public RunLayout ControlFit => new(Path.Combine(Folder, "controls", "train"));

    /// <summary>The manifest of the preparation stage (<c>chorus prepare</c>): <c>run/tasks/prepare.json</c>.</summary>
    public string PrepareManifest => Path.Combine(Run, "tasks", "prepare.json");

    /// <summary>Where a cluster submission keeps its scripts, job ids and logs: <c>slurm/</c>.</summary>
    public string Slurm => Path.Combine(Folder, "slurm");

    /// <summary><c>run/faithfulness/member-XX.json</c>: one member's faithfulness scores, kept so a run resumes.</summary>
    public string FaithfulnessOfMember(int member) =>
        Path.Combine(Run, "faithfulness", string.Create(CultureInfo.InvariantCulture, $"member-{member:D2}.json"));
}
