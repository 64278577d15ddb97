using Chorus.Torch.Models;
using Chorus.Torch.Training;

namespace Chorus.Study;

/// <summary>Study settings for an ensemble kind (<c>--ensemble KIND</c>), with each kind's defaults and checks.</summary>
public static class EnsembleKindSettings
{
    /// <summary>The frozen-trunk kind's trained stages when <c>--train-stages</c> is not given: the last one.</summary>
    public const int DefaultFrozenTrunkTrainStages = 1;

    /// <summary>
    /// <paramref name="settings"/> training members of <paramref name="kind"/>: <see cref="EnsembleKind.Independent"/> leaves
    /// the options as they are (no <see cref="TrainingOptions.Ensemble"/>, so earlier run folders resume);
    /// <see cref="EnsembleKind.FrozenTrunk"/> trains <see cref="DefaultFrozenTrunkTrainStages"/> stage unless
    /// <see cref="BackboneSpec.TrainStages"/> says otherwise.
    /// </summary>
    /// <exception cref="ArgumentException">The kind does not fit the other settings (named in the message).</exception>
    public static StudySettings WithEnsemble(this StudySettings settings, EnsembleKind kind)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var result = settings with
        {
            Training = settings.Training with { Ensemble = kind == EnsembleKind.Independent ? null : kind },
            Backbone = kind == EnsembleKind.FrozenTrunk && settings.Backbone.TrainStages is null
                ? settings.Backbone with { TrainStages = DefaultFrozenTrunkTrainStages }
                : settings.Backbone,
        };
        Check(result);
        return result;
    }

    /// <summary>Throws <see cref="ArgumentException"/> when the ensemble kind of <paramref name="settings"/> does not fit the rest.</summary>
    public static void Check(StudySettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var kind = settings.Training.Kind;
        if (kind.TrainsTogether() && settings.MemberRange is { } range && range != Runs.MemberRange.All(settings.Training.Members))
        {
            throw new ArgumentException($"--members-range: a {kind.Name()} ensemble comes out of one training run; its members cannot be shared out (train them all in one process).");
        }

        if (kind == EnsembleKind.FrozenTrunk)
        {
            if (settings.Backbone.TrainStages is null)
            {
                throw new ArgumentException("--ensemble frozen-trunk: --train-stages must leave a trunk to freeze (a number, not 'all').");
            }

            if (settings.Backbone.Name == BackboneSpec.SmallCnn && settings.Training.PretrainEpochs < 1)
            {
                throw new ArgumentException("--ensemble frozen-trunk on small-cnn learns its trunk in the shared pre-training: give --pretrain-epochs 1 or more.");
            }
        }
    }
}
