using Chorus.Study;
using Chorus.Data.Isic;

namespace Chorus.Cli.Tests;

public class StudyDatasetTests
{
    [Fact]
    public void Detect_FolderWithImagesTxt_IsCub()
    {
        // Given
        var dir = TestPaths.TempDir();
        File.WriteAllText(Path.Combine(dir, "images.txt"), "1 001.A/a.png\n");

        // When / Then
        Assert.Equal(StudyDataset.Cub, StudyDataset.Detect(dir));
    }

    [Fact]
    public void Detect_OfficialAndFlatIsicFolders_AreIsic2018()
    {
        Assert.Equal(StudyDataset.Isic2018, StudyDataset.Detect(IsicFolderFixtures.Official(train: 2, test: 2)));
        Assert.Equal(StudyDataset.Isic2018, StudyDataset.Detect(IsicFolderFixtures.Flat(count: 2)));
    }

    [Fact]
    public void Detect_UnknownFolder_NamesTheFolder()
    {
        // Given a folder of unrelated files
        var dir = TestPaths.TempDir();
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "nothing here");

        // When
        var e = Assert.Throws<ChorusException>(() => StudyDataset.Detect(dir));

        // Then
        Assert.Contains(dir, e.Message);
        Assert.Contains("--format", e.Message);
    }

    [Fact]
    public void Open_IsicOfficial_TrainIsTrainingAndTestIsValidation_WithTheLesionPart()
    {
        // Given
        var root = IsicFolderFixtures.Official(train: 6, test: 4);

        // When
        var dataset = StudyDataset.Open(root, null, new StudyDataOptions());
        var splits = dataset.LoadSplits(IsicFolderFixtures.Size);

        // Then
        Assert.Equal(StudyDataset.Isic2018, dataset.Format);
        Assert.Equal(["benign", "malignant"], dataset.ClassNames);
        Assert.Equal([IsicDataset.LesionRegion], dataset.Parts);
        Assert.Equal(["iou", "pearson"], dataset.DefaultMetrics);
        Assert.Equal((6, 4), dataset.Counts);
        Assert.Equal([1, 2, 3, 4, 5, 6], splits.Train.ImageIds);
        Assert.Equal([7, 8, 9, 10], splits.Test.ImageIds);
        Assert.Equal([0, 1, 0, 1], splits.Test.Labels);
        Assert.All(splits.Test.Regions[IsicDataset.LesionRegion], r => Assert.True(r!.PixelCount > 0));
        Assert.Empty(splits.Skipped);
        Assert.StartsWith("official", dataset.SplitDescription, StringComparison.Ordinal);
        Assert.Equal(splits.Test.ImageIds, dataset.LoadTest(IsicFolderFixtures.Size).ImageIds);
    }

    [Fact]
    public void Open_IsicWithOneSplit_SplitsSeventyThirtyBySeed_Deterministically()
    {
        // Given a flat folder of 20 images (one split only)
        var root = IsicFolderFixtures.Flat(count: 20);

        // When
        var a = StudyDataset.Open(root, StudyDataset.Isic2018, new StudyDataOptions(SplitSeed: 4)).LoadSplits(IsicFolderFixtures.Size);
        var b = StudyDataset.Open(root, StudyDataset.Isic2018, new StudyDataOptions(SplitSeed: 4));
        var c = StudyDataset.Open(root, StudyDataset.Isic2018, new StudyDataOptions(SplitSeed: 5)).LoadSplits(IsicFolderFixtures.Size);

        // Then: 14 train / 6 test, disjoint, complete, the same for the same seed and another for another seed
        Assert.Equal(14, a.Train.Count);
        Assert.Equal(6, a.Test.Count);
        Assert.Empty(a.Train.ImageIds.Intersect(a.Test.ImageIds));
        Assert.Equal(Enumerable.Range(1, 20), a.Train.ImageIds.Concat(a.Test.ImageIds).Order());
        Assert.Equal(a.Test.ImageIds, b.LoadTest(IsicFolderFixtures.Size).ImageIds);
        Assert.Equal((14, 6), b.Counts);
        Assert.Contains("seed 4", b.SplitDescription, StringComparison.Ordinal);
        Assert.NotEqual(a.Test.ImageIds, c.Test.ImageIds);
        Assert.Equal(a.Test.Regions[IsicDataset.LesionRegion].Length, a.Test.Count);
    }

    [Fact]
    public void Open_IsicWithoutLabels_SaysTrainingNeedsThem()
    {
        // Given
        var root = IsicFolderFixtures.Official(train: 2, test: 2, labels: false);

        // When
        var e = Assert.Throws<ChorusException>(() => StudyDataset.Open(root, null, new StudyDataOptions()));

        // Then
        Assert.Contains("has no labels", e.Message);
        Assert.Contains(Path.GetFileName(root), e.Message);
    }

    [Fact]
    public void Open_IsicWithAnUnreadableImage_SkipListsItAndFailNamesIt()
    {
        // Given
        var root = IsicFolderFixtures.Official(train: 6, test: 2);
        var victim = IsicFolderFixtures.ImagePath(root, 2);
        File.WriteAllText(victim, "not a jpeg");

        // When
        var skipping = StudyDataset.Open(root, null, new StudyDataOptions(BadImagePolicy.Skip)).LoadSplits(IsicFolderFixtures.Size);
        var e = Assert.Throws<ChorusException>(() => StudyDataset.Open(root, null, new StudyDataOptions(BadImagePolicy.Fail)));

        // Then
        var skipped = Assert.Single(skipping.Skipped);
        Assert.Equal(3, skipped.ImageId);
        Assert.Equal(Path.GetFullPath(victim), Path.GetFullPath(skipped.Path));
        Assert.Equal(5, skipping.Train.Count);
        Assert.DoesNotContain(3, skipping.Train.ImageIds);
        Assert.Contains(Path.GetFileName(victim), e.Message);
    }

    [Fact]
    public void Open_UnknownFormat_IsAUserError()
    {
        var e = Assert.Throws<ChorusException>(() => StudyDataset.Open(TestPaths.TempDir(), "voc", new StudyDataOptions()));
        Assert.Contains("voc", e.Message);
    }
}
