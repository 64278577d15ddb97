namespace Chorus.Torch.Training;

/// <summary>
/// How an ensemble's members are made (<c>train --ensemble KIND</c>). Every kind writes the same run folder: one
/// checkpoint per member, each a whole classifier, so explanation and evaluation do not know the difference.
/// </summary>
public enum EnsembleKind
{
    /// <summary>n independent trainings from the shared start, each with its own head initialisation and data order (the study).</summary>
    Independent,

    /// <summary>
    /// Snapshot ensemble (Huang et al. 2017): one training run with a cyclic cosine learning rate. Member 0 trains
    /// <see cref="TrainingOptions.Epochs"/> epochs from the shared start, as an independent member does; member k &gt; 0
    /// continues from member k − 1 for <see cref="TrainingOptions.SnapshotCycleEpochs"/> epochs with the learning rate
    /// restarted at its maximum and annealed again, and is saved at the end of its cycle. The optimizer state restarts
    /// with each cycle (so a cycle resumes from its predecessor's checkpoint alone). Cost: Epochs + (n − 1)·cycle epochs
    /// instead of n·Epochs.
    /// </summary>
    Snapshot,

    /// <summary>
    /// One shared backbone trained jointly with n independently initialised heads (loss: the mean of the heads' cross-entropies),
    /// so one forward pass serves every member; member k is the backbone with head k. Cost: about one member's training.
    /// </summary>
    MultiHead,

    /// <summary>
    /// Members fine-tune only the last stage(s) (<c>--train-stages</c>, default 1) and the head on a trunk shared by all:
    /// the frozen trunk's outputs are computed once per image and reused by every member and epoch. On small-cnn the
    /// shared pre-training trains the whole network first (<c>--pretrain-epochs</c>, at least 1), then blocks 1–3 are frozen.
    /// </summary>
    FrozenTrunk,
}

/// <summary>Command-line names of <see cref="EnsembleKind"/>.</summary>
public static class EnsembleKinds
{
    /// <summary>Every kind, in table order.</summary>
    public static IReadOnlyList<EnsembleKind> All { get; } = Enum.GetValues<EnsembleKind>();

    /// <summary><c>independent</c>, <c>snapshot</c>, <c>multi-head</c>, <c>frozen-trunk</c>.</summary>
    public static string Name(this EnsembleKind kind) => kind switch
    {
        EnsembleKind.Independent => "independent",
        EnsembleKind.Snapshot => "snapshot",
        EnsembleKind.MultiHead => "multi-head",
        EnsembleKind.FrozenTrunk => "frozen-trunk",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Parses a name of <see cref="Name"/>.</summary>
    /// <exception cref="ArgumentException">Any other text.</exception>
    public static EnsembleKind Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().ToLowerInvariant();
        foreach (var kind in All)
        {
            if (kind.Name() == t)
            {
                return kind;
            }
        }

        throw new ArgumentException($"Unknown ensemble kind '{text}'; known: {string.Join(", ", All.Select(Name))}.");
    }

    /// <summary>Whether every member of this kind comes out of one training run (no member can be trained alone).</summary>
    public static bool TrainsTogether(this EnsembleKind kind) => kind is EnsembleKind.Snapshot or EnsembleKind.MultiHead;
}
