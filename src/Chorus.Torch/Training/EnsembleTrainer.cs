using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Chorus.IO;
using Chorus.Runs;
using Chorus.Torch.Checkpoints;
using Chorus.Torch.Models;
using Chorus.Torch.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace Chorus.Torch.Training;

/// <summary>
/// Trains an ensemble into a run folder: <c>shared-init.safetensors</c> (the common starting point),
/// <c>members/member-XX.safetensors</c> and <c>members/member-XX.json</c> per member, all written atomically.
/// A re-run over the same folder skips members already trained with the same settings and data.
/// </summary>
public sealed class EnsembleTrainer
{
    private static readonly JsonSerializerOptions RecordJson = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly Func<IClassifier> _factory;
    private readonly TrainingOptions _options;
    private readonly string _modelDescription;
    private readonly string? _trunkCacheDir;
    private readonly Func<IClassifier>? _sharedStartFactory;
    private TrunkFeatures? _trunk;

    /// <param name="factory">Creates a fresh, untrained classifier (always the same architecture).</param>
    /// <param name="options">Training options (validated here).</param>
    /// <param name="modelDescription">Architecture name recorded with each member, e.g. <c>small-cnn</c>.</param>
    /// <param name="trunkCacheDir">
    /// Where frozen-trunk outputs are stored between runs (<see cref="TrunkFeatures"/>; see <see cref="TrainingOptions.CacheTrunk"/>).
    /// Null: they are computed once per <see cref="Train"/> call and kept in memory only.
    /// </param>
    /// <param name="sharedStartFactory">
    /// Creates the classifier the shared pre-training trains: the same architecture and parameter names as
    /// <paramref name="factory"/>'s, but with every stage trainable (<see cref="EnsembleKind.FrozenTrunk"/> on a network
    /// with no pretrained weights: the trunk is learnt once, then frozen for the members). Null: <paramref name="factory"/>.
    /// </param>
    public EnsembleTrainer(Func<IClassifier> factory, TrainingOptions options, string modelDescription, string? trunkCacheDir = null, Func<IClassifier>? sharedStartFactory = null)
    {
        _trunkCacheDir = trunkCacheDir;
        _sharedStartFactory = sharedStartFactory;
        _factory = factory ?? throw new ArgumentNullException(nameof(factory));
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        // Explicit None trains exactly like null; normalise so both hash to the same fingerprint as before augmentations existed.
        _options = options.Augmentation is { IsNone: true } ? options with { Augmentation = null } : options;
        _modelDescription = modelDescription;
    }

    /// <summary>Path of member <paramref name="index"/>'s checkpoint in <paramref name="runDir"/>.</summary>
    public static string CheckpointPath(string runDir, int index) =>
        Path.Combine(runDir, "members", string.Create(CultureInfo.InvariantCulture, $"member-{index:D2}.safetensors"));

    /// <summary>Path of the lock a process holds while it trains or explains member <paramref name="index"/> (<see cref="FileLock"/>).</summary>
    public static string MemberLockPath(string runDir, int index) =>
        Path.Combine(runDir, "locks", string.Create(CultureInfo.InvariantCulture, $"member-{index:D2}.lock"));

    /// <summary>
    /// Trains (or resumes) the members of <paramref name="members"/> (default: all) and returns their results in member
    /// order. Several processes may train disjoint ranges of one run folder at once: the shared start is made by the
    /// first (the others wait for it), and each member is locked while it trains (<see cref="MemberLockPath"/>).
    /// </summary>
    /// <exception cref="ChorusException">Another process holds a member of the range.</exception>
    public IReadOnlyList<MemberResult> Train(
        string runDir,
        ImageTensorSet train,
        ImageTensorSet? test,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default,
        MemberRange? members = null)
    {
        TrunkCacheUse = (false, false);
        var range = members ?? MemberRange.All(_options.Members);
        range.Validate(_options.Members);
        try
        {
            return TrainAll(runDir, train, test, range, progress, cancellationToken);
        }
        finally
        {
            _trunk?.Dispose();
            _trunk = null;
        }
    }

    /// <summary>
    /// The work every member needs before it starts, done once: the shared start (<c>shared-init.safetensors</c>, with its
    /// pre-training) and, for a frozen trunk whose outputs are kept on disk (a <c>trunkCacheDir</c> was given), those
    /// outputs. Several processes may call it at once (the shared start is locked); <see cref="Train"/> then reuses both.
    /// Returns whether frozen-trunk outputs were computed or found.
    /// </summary>
    public bool Prepare(string runDir, ImageTensorSet train, ImageTensorSet? test, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(Path.Combine(runDir, "members"));
        var sharedInit = MakeSharedInitLocked(runDir, train, test, progress, cancellationToken);
        if (_trunkCacheDir is null)
        {
            return false;
        }

        using var model = _factory();
        ModuleCheckpoint.Load(model.Module, sharedInit);
        try
        {
            return Trunk(model, train) is not null;
        }
        finally
        {
            _trunk?.Dispose();
            _trunk = null;
        }
    }

    /// <summary>Whether the last <see cref="Train"/> call trained from cached frozen-trunk outputs, and whether they came from disk.</summary>
    public (bool Used, bool FromDisk) TrunkCacheUse { get; private set; }

    private IReadOnlyList<MemberResult> TrainAll(
        string runDir,
        ImageTensorSet train,
        ImageTensorSet? test,
        MemberRange range,
        IProgress<TrainingProgress>? progress,
        CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.Combine(runDir, "members"));
        var fingerprint = Fingerprint(train);
        if (_options.Kind == EnsembleKind.MultiHead && range != MemberRange.All(_options.Members))
        {
            throw new ChorusException($"{runDir}: a multi-head ensemble trains all {_options.Members} members in one run; it cannot train members {range} alone.");
        }

        var sharedInit = MakeSharedInitLocked(runDir, train, test, progress, cancellationToken);
        if (_options.Kind == EnsembleKind.MultiHead)
        {
            return TrainMultiHead(runDir, sharedInit, fingerprint, train, test, progress, cancellationToken);
        }

        var results = new List<MemberResult>();
        foreach (var m in range.Members)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var claim = FileLock.Acquire(MemberLockPath(runDir, m), $"Member {m} of {runDir}");
            var resumed = TryResume(runDir, m, fingerprint);
            if (resumed is not null)
            {
                results.Add(resumed);
                ReportResumed(progress, resumed);
                continue;
            }

            if (_options.Kind == EnsembleKind.Snapshot && m > 0)
            {
                // A snapshot continues its predecessor: restart the learning rate, anneal it over one cycle, save.
                if (TryResume(runDir, m - 1, fingerprint) is null)
                {
                    throw new ChorusException($"{runDir}: snapshot member {m} continues member {m - 1}, which is not trained yet; snapshot members are trained in order (train members 0–{m - 1} first).");
                }

                results.Add(TrainMember(runDir, m, CheckpointPath(runDir, m - 1), resetHead: false, _options.SnapshotCycleEpochs ?? TrainingOptions.DefaultSnapshotCycleEpochs, fingerprint, train, test, progress, cancellationToken));
                continue;
            }

            results.Add(TrainMember(runDir, m, sharedInit, resetHead: true, _options.Epochs, fingerprint, train, test, progress, cancellationToken));
        }

        return results;
    }

    private void ReportResumed(IProgress<TrainingProgress>? progress, MemberResult resumed) =>
        progress?.Report(new TrainingProgress(resumed.Index, _options.Members, _options.Epochs, _options.Epochs, 1, 1, resumed.TrainLoss, resumed.TrainAccuracy, "resumed"));

    // Every member from one run: the shared body with n heads, each initialised from its member's seed; member k is saved as
    // the body with head k. Resumes only when every member is on disk (an interrupted run saved none or some: train again).
    private IReadOnlyList<MemberResult> TrainMultiHead(
        string runDir,
        string sharedInit,
        string fingerprint,
        ImageTensorSet train,
        ImageTensorSet? test,
        IProgress<TrainingProgress>? progress,
        CancellationToken cancellationToken)
    {
        var n = _options.Members;
        var claims = new List<FileLock>();
        try
        {
            for (var m = 0; m < n; m++)
            {
                claims.Add(FileLock.Acquire(MemberLockPath(runDir, m), $"Member {m} of {runDir}"));
            }

            var resumed = Enumerable.Range(0, n).Select(m => TryResume(runDir, m, fingerprint)).ToList();
            if (resumed.All(r => r is not null))
            {
                foreach (var r in resumed)
                {
                    ReportResumed(progress, r!);
                }

                return resumed!;
            }

            var sw = Stopwatch.StartNew();
            using var model = _factory();
            ModuleCheckpoint.Load(model.Module, sharedInit);
            using var multi = new MultiHeadClassifier(model, n);
            for (var k = 0; k < n; k++)
            {
                using var generator = new Generator((ulong)_options.MemberSeed(k));
                multi.ResetHead(k, generator);
            }

            var seed = _options.MemberSeed(0);
            var (loss, accuracy) = FitEpochs(model, 0, seed, _options.Epochs, train, progress, cancellationToken, multi);
            var seconds = sw.Elapsed.TotalSeconds / n;
            var results = new List<MemberResult>();
            for (var k = 0; k < n; k++)
            {
                multi.CopyHeadInto(k);
                results.Add(SaveMember(runDir, k, _options.MemberSeed(k), model, fingerprint, test, loss, accuracy, seconds, progress));
            }

            return results;
        }
        finally
        {
            foreach (var claim in claims)
            {
                claim.Dispose();
            }
        }
    }

    private string Fingerprint(ImageTensorSet train) => $"{_modelDescription};{train.Fingerprint()};{JsonSerializer.Serialize(_options)}";

    // One process makes the shared start (pre-training may take minutes); the others wait for it and read it.
    private string MakeSharedInitLocked(string runDir, ImageTensorSet train, ImageTensorSet? test, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var sharedInit = Path.Combine(runDir, "shared-init.safetensors");
        FileLock? initLock = null;
        while (initLock is null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            initLock = FileLock.TryAcquire(Path.Combine(runDir, "locks", "shared-init.lock"), TimeSpan.FromSeconds(5));
        }

        using (initLock)
        {
            MakeSharedInit(sharedInit, Fingerprint(train), train, test, progress, cancellationToken);
        }

        return sharedInit;
    }

    private void MakeSharedInit(string sharedInit, string fingerprint, ImageTensorSet train, ImageTensorSet? test, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        if (!File.Exists(sharedInit) || !SharedInitMatches(sharedInit, fingerprint))
        {
            torch.manual_seed(_options.Seed);
            using var init = (_sharedStartFactory ?? _factory)();
            var meta = new Dictionary<string, string>
            {
                ["seed"] = _options.Seed.ToString(CultureInfo.InvariantCulture),
                ["model"] = _modelDescription,
                ["fingerprint"] = fingerprint,
                ["pretrain_epochs"] = _options.PretrainEpochs.ToString(CultureInfo.InvariantCulture),
            };
            if (_options.PretrainEpochs > 0)
            {
                var pretrain = FitEpochs(init, -1, _options.Seed, _options.PretrainEpochs, train, progress, cancellationToken);
                meta["pretrain_train_accuracy"] = pretrain.Accuracy.ToString("R", CultureInfo.InvariantCulture);
                if (test is not null)
                {
                    meta["pretrain_test_accuracy"] = Accuracy(init, test).ToString("R", CultureInfo.InvariantCulture);
                }
            }

            ModuleCheckpoint.Save(init.Module, sharedInit, meta);
        }
    }

    /// <summary>Loads member <paramref name="index"/> of a trained run into a fresh classifier (eval mode).</summary>
    public static IClassifier LoadMember(Func<IClassifier> factory, string runDir, int index)
    {
        var model = factory();
        try
        {
            ModuleCheckpoint.Load(model.Module, CheckpointPath(runDir, index));
            model.Module.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Accuracy of <paramref name="model"/> on <paramref name="set"/> (eval mode, no gradients).</summary>
    public static double Accuracy(IClassifier model, ImageTensorSet set, int batchSize = 256) => Evaluate(model, set, batchSize).Accuracy;

    /// <summary>Accuracy and balanced accuracy (mean per-class recall) of <paramref name="model"/> on <paramref name="set"/> (eval mode, no gradients).</summary>
    public static (double Accuracy, double BalancedAccuracy) Evaluate(IClassifier model, ImageTensorSet set, int batchSize = 256)
    {
        model.Module.eval();
        if (set.Count == 0)
        {
            return (double.NaN, double.NaN);
        }

        var predictions = new List<int>(set.Count);
        using var noGrad = no_grad();
        for (var i = 0; i < set.Count; i += batchSize)
        {
            using var scope = NewDisposeScope();
            var n = Math.Min(batchSize, set.Count - i);
            var x = set.Images.narrow(0, i, n);
            predictions.AddRange(model.Forward(x).argmax(1).data<long>().ToArray().Select(p => (int)p));
        }

        var labels = set.Labels.data<long>().ToArray().Select(l => (int)l).ToArray();
        var correct = labels.Zip(predictions).Count(p => p.First == p.Second);
        return ((double)correct / set.Count, Evaluation.ClassBaseline.BalancedAccuracy(labels, predictions));
    }

    private MemberResult? TryResume(string runDir, int m, string fingerprint)
    {
        var meta = Path.ChangeExtension(CheckpointPath(runDir, m), ".json");
        if (!File.Exists(meta) || !File.Exists(CheckpointPath(runDir, m)))
        {
            return null;
        }

        MemberRecord? record;
        try
        {
            record = JsonSerializer.Deserialize<MemberRecord>(File.ReadAllText(meta), RecordJson);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{meta}: unreadable member record ({e.Message}). Delete it to retrain this member.", e);
        }

        if (record is null || record.Fingerprint != fingerprint)
        {
            throw new ChorusException(
                $"{runDir} already holds member {m} trained with other settings or data. Use a new output folder, or delete {Path.Combine(runDir, "members")} to retrain. The memory layout is one of those settings: run folders trained before --layout existed resume with --layout nchw.");
        }

        return record.Result with { Resumed = true };
    }

    private MemberResult TrainMember(
        string runDir,
        int m,
        string start,
        bool resetHead,
        int epochs,
        string fingerprint,
        ImageTensorSet train,
        ImageTensorSet? test,
        IProgress<TrainingProgress>? progress,
        CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        var seed = _options.MemberSeed(m);
        using var model = _factory();
        ModuleCheckpoint.Load(model.Module, start);
        if (resetHead && model is IResettableHead head)
        {
            using var generator = new Generator((ulong)seed);
            head.ResetHead(generator);
        }

        var (epochLoss, epochAcc) = FitEpochs(model, m, seed, epochs, train, progress, cancellationToken);
        return SaveMember(runDir, m, seed, model, fingerprint, test, epochLoss, epochAcc, sw.Elapsed.TotalSeconds, progress);
    }

    // Member m's checkpoint and record (atomically), with its held-out accuracy.
    private MemberResult SaveMember(string runDir, int m, long seed, IClassifier model, string fingerprint, ImageTensorSet? test, double loss, double accuracy, double seconds, IProgress<TrainingProgress>? progress)
    {
        var (testAcc, testBalanced) = test is null ? (double.NaN, double.NaN) : Evaluate(model, test);
        var result = new MemberResult(m, seed, Path.GetFileName(CheckpointPath(runDir, m)), loss, accuracy, testAcc, seconds, false, double.IsNaN(testBalanced) ? null : testBalanced);
        ModuleCheckpoint.Save(model.Module, CheckpointPath(runDir, m), new Dictionary<string, string>
        {
            ["member"] = m.ToString(CultureInfo.InvariantCulture),
            ["seed"] = seed.ToString(CultureInfo.InvariantCulture),
            ["model"] = _modelDescription,
            ["ensemble"] = _options.Kind.Name(),
        });
        var record = new MemberRecord(fingerprint, result);
        AtomicFile.WriteAllText(Path.ChangeExtension(CheckpointPath(runDir, m), ".json"), JsonSerializer.Serialize(record, RecordJson));
        progress?.Report(new TrainingProgress(m, _options.Members, _options.Epochs, _options.Epochs, 1, 1, loss, accuracy, "done"));
        return result;
    }

    private static bool SharedInitMatches(string path, string fingerprint)
    {
        try
        {
            var (tensors, meta) = SafeTensors.Load(path);
            foreach (var t in tensors.Values)
            {
                t.Dispose();
            }

            return meta.TryGetValue("fingerprint", out var f) && f == fingerprint;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    private int StepsPerEpoch(ImageTensorSet train) => (train.Count + _options.BatchSize - 1) / _options.BatchSize;

    /// <summary>Trains <paramref name="model"/> for <paramref name="epochs"/> epochs (AdamW, cosine schedule); returns the last epoch's loss and accuracy.</summary>
    /// <remarks>With <paramref name="multi"/> (whose body is <paramref name="model"/>) every head trains on one pass of the body: the loss is the mean of the heads' cross-entropies, the accuracy the heads' mean.</remarks>
    private (double Loss, double Accuracy) FitEpochs(IClassifier model, int member, long seed, int epochs, ImageTensorSet train, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken, MultiHeadClassifier? multi = null)
    {
        // Channels-last (the default layout): the weights are NHWC-strided for this loop and NCHW again when it ends.
        // The borrowed model only runs the passes; the optimizer sees the model itself (its head, IHasHead).
        // The model's own gradients in float32 against float64, once per architecture and size (NumericsGuard).
        NumericsGuard.CheckModel(model, train.Images, train.Labels, _options.Layout);
        var trunk = multi is null ? Trunk(model, train) : null;
        var split = trunk is null ? null : (BackboneClassifier)model;
        using var nhwc = _options.Layout.Borrow(model, train.Images);
        IClassifier net = nhwc is null ? model : nhwc;
        using var generator = new Generator((ulong)seed + 7919UL);
        torch.manual_seed(seed);
        using var optimizer = CreateOptimizer(multi is null ? model.Module : multi, multi is null ? model as IHasHead : new HeadsOf(multi), out var baseRates);
        var n = train.Count;
        var batches = StepsPerEpoch(train);
        var totalSteps = batches * epochs;
        var warmupSteps = (int)Math.Round((_options.WarmupEpochs ?? 0) * batches);
        var rng = new Random(unchecked((int)seed));
        var augmentation = _options.EffectiveAugmentation();
        double epochLoss = 0, epochAcc = 0;
        var step = 0;
        for (var epoch = 1; epoch <= epochs; epoch++)
        {
            model.Module.train();
            if (_options.FreezeBatchNorm == true)
            {
                FreezeBatchNorm(model.Module);
            }

            var order = Enumerable.Range(0, n).ToArray();
            rng.Shuffle(order);
            double lossSum = 0;
            long correct = 0, seen = 0;
            using var augmentationGenerator = augmentation is null ? null : new Generator(Augmentation.GeneratorSeed(_options.Seed, member, epoch));
            for (var b = 0; b < batches; b++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var idx = order.AsSpan(b * _options.BatchSize, Math.Min(_options.BatchSize, n - (b * _options.BatchSize))).ToArray();
                var index = tensor(idx.Select(i => (long)i).ToArray());
                var y = train.Labels.index_select(0, index);
                Tensor logits;
                if (trunk is not null)
                {
                    // The same flips as below, drawn from the same generator; the trunk outputs of both orientations are cached.
                    var flip = _options.HorizontalFlip ? rand([idx.Length], generator: generator).lt(0.5) : null;
                    var t = trunk.Batch(index, flip);
                    logits = split!.ForwardFromTrunk(_options.Layout == MemoryLayout.ChannelsLast ? ChannelsLastClassifier.ToChannelsLast(t) : t);
                }
                else
                {
                    var x = Augment(train.Images.index_select(0, index), idx.Length, augmentation, augmentationGenerator, generator);
                    logits = multi is null ? net.Forward(x) : multi.Logits(net, x);
                }

                var lr = _options.LearningRate * (0.05 + (0.95 * 0.5 * (1 + Math.Cos(Math.PI * step / totalSteps))));
                if (warmupSteps > 0 && step < warmupSteps)
                {
                    lr *= (step + 1.0) / (warmupSteps + 1.0);
                }

                var g = 0;
                foreach (var group in optimizer.ParamGroups)
                {
                    group.LearningRate = lr * baseRates[g++] / _options.LearningRate;
                }

                optimizer.zero_grad();
                // Multi-head: logits [N, n, K], image-major, so every head's row meets its image's label.
                var loss = multi is null ? nn.functional.cross_entropy(logits, y) : nn.functional.cross_entropy(logits.flatten(0, 1), y.repeat_interleave(multi.Count));
                using (NumericsGuard.Backward())
                {
                    loss.backward();
                }

                optimizer.step();
                lossSum += loss.item<float>() * idx.Length * (multi?.Count ?? 1);
                correct += multi is null ? logits.argmax(1).eq(y).sum().item<long>() : logits.argmax(2).eq(y.unsqueeze(1)).sum().item<long>();
                seen += idx.Length * (multi?.Count ?? 1);
                step++;
                epochLoss = lossSum / seen;
                epochAcc = (double)correct / seen;
                progress?.Report(new TrainingProgress(member, _options.Members, epoch, epochs, step, totalSteps, epochLoss, epochAcc, member < 0 ? "pretraining" : "training"));
            }
        }

        return (epochLoss, epochAcc);
    }

    // One batch of images as the trainer feeds them: augmented (seeded per member and epoch), or flipped at random.
    private Tensor Augment(Tensor x, int count, AugmentationOptions? augmentation, Generator? augmentationGenerator, Generator generator)
    {
        if (augmentation is not null)
        {
            return Augmentation.Apply(x, augmentation, augmentationGenerator!);
        }

        if (_options.HorizontalFlip)
        {
            var flip = rand([count], generator: generator).lt(0.5).view(-1, 1, 1, 1);
            return where(flip, x.flip(3), x);
        }

        return x;
    }

    // The frozen trunk's outputs for this training set, when the model has a frozen trunk to split off and the images
    // reach it unchanged but for flips (TrunkFeatures); computed once and shared while the backbone stays the same.
    private TrunkFeatures? Trunk(IClassifier model, ImageTensorSet train)
    {
        if (!_options.CacheTrunk || _options.EffectiveAugmentation() is not null || model is not BackboneClassifier { TrunkCut: not null } split)
        {
            return null;
        }

        var key = TrunkFeatures.KeyOf(split, train.Images, _options.HorizontalFlip);
        if (_trunk?.Key != key)
        {
            _trunk?.Dispose();
            _trunk = TrunkFeatures.Compute(split, train.Images, _options.HorizontalFlip, _trunkCacheDir, _options.BatchSize);
        }

        TrunkCacheUse = (true, TrunkCacheUse.FromDisk || _trunk.FromDisk);
        return _trunk;
    }

    /// <summary>Puts every BatchNorm layer of <paramref name="module"/> in eval mode: running statistics are used and kept.</summary>
    internal static void FreezeBatchNorm(nn.Module module)
    {
        foreach (var (_, m) in module.named_modules())
        {
            if (m.GetType().Name.StartsWith("BatchNorm", StringComparison.Ordinal))
            {
                m.eval();
            }
        }
    }

    /// <summary>
    /// AdamW over the trainable parameters (frozen ones, <c>requires_grad = false</c>, are left out): one group at
    /// <see cref="TrainingOptions.LearningRate"/>, or, with <see cref="TrainingOptions.BackboneLearningRate"/> and a model
    /// with a separate head, the head at the learning rate and the backbone at its own rate.
    /// </summary>
    private optim.Optimizer CreateOptimizer(nn.Module module, IHasHead? withHead, out double[] baseRates)
    {
        var trainable = module.parameters().Where(p => p.requires_grad).ToList();
        var sgd = _options.Optimizer == TrainingOptimizer.Sgd;
        if (_options.BackboneLearningRate is not { } backboneRate || withHead is null)
        {
            baseRates = [_options.LearningRate];
            return sgd
                ? optim.SGD(trainable, _options.LearningRate, momentum: 0.9, weight_decay: _options.WeightDecay, nesterov: true)
                : optim.AdamW(trainable, _options.LearningRate, weight_decay: _options.WeightDecay);
        }

        var head = withHead.HeadParameters().Where(p => p.requires_grad).ToList();
        var backbone = trainable.Where(p => !head.Any(h => ReferenceEquals(h, p) || h.Handle == p.Handle)).ToList();
        baseRates = backbone.Count > 0 ? [_options.LearningRate, backboneRate] : [_options.LearningRate];
        if (sgd)
        {
            var sgdGroups = new List<TorchSharp.Modules.SGD.ParamGroup> { new(head, lr: _options.LearningRate, momentum: 0.9, weight_decay: _options.WeightDecay, nesterov: true) };
            if (backbone.Count > 0)
            {
                sgdGroups.Add(new(backbone, lr: backboneRate, momentum: 0.9, weight_decay: _options.WeightDecay, nesterov: true));
            }

            return optim.SGD(sgdGroups, _options.LearningRate, momentum: 0.9, weight_decay: _options.WeightDecay, nesterov: true);
        }

        var groups = new List<TorchSharp.Modules.AdamW.ParamGroup> { new(head, lr: _options.LearningRate, weight_decay: _options.WeightDecay) };
        if (backbone.Count > 0)
        {
            groups.Add(new(backbone, lr: backboneRate, weight_decay: _options.WeightDecay));
        }

        return optim.AdamW(groups, _options.LearningRate, weight_decay: _options.WeightDecay);
    }

    private sealed record MemberRecord(string Fingerprint, MemberResult Result);

    // The heads of a multi-head run, for a separate backbone learning rate.
    private sealed class HeadsOf(MultiHeadClassifier multi) : IHasHead
    {
        public IEnumerable<TorchSharp.Modules.Parameter> HeadParameters() => multi.HeadParameters();
    }
}
