using Chorus.Torch.Models;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Chorus.Cli.Commands;

/// <summary><c>chorus models</c>: the backbones <c>--backbone</c> accepts, with what each needs.</summary>
public sealed class ModelsCommand(IAnsiConsole console) : Command
{
    public override int Execute(CommandContext context, CancellationToken cancellationToken)
    {
        string resnet18File;
        try
        {
            resnet18File = $"[green]present[/]: {Markup.Escape(PretrainedModels.ResNet18ImageNetPath())}";
        }
        catch (FileNotFoundException)
        {
            resnet18File = $"[red]missing[/] models/{PretrainedModels.ResNet18ImageNetFile}: in a clone, restore and rebuild (the build downloads NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1); in your own project, reference Chorus.Torch and build twice, or add <PackageDownload Include=\"Microsoft.ML.DnnImageFeaturizer.ResNet18\" Version=\"[[0.23.1]]\" />";
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumns("backbone", "what it is", "input", "Grad-CAM layer", "needs");
        table.AddRow("small-cnn", "4 conv blocks (16/32/64/64) + global max pool + linear head, random init; the default", "RGB [[0,1]], any size ≥ 16", "block4", "nothing");
        table.AddRow(BackboneSpec.ResNet18ImageNet, "ImageNet ResNet-18 (CNTK ONNX export, 512 pooled features) + linear head; stages: stem, layer1…layer4", "any size (AnyImageSize; 224 native), converted to BGR 0–255 − mean", "ReLU393_Output_0 (last block's ReLU)", resnet18File);
        table.AddRow("onnx:FILE", "any ONNX classifier/feature extractor (opset 8–17) + linear head; --features-tensor NAME cuts it; stages = groups of equal spatial size", "per file; ImageNet-normalised RGB", "the ReLU after the last Conv", "the .onnx file");
        foreach (var (name, features) in new[] { ("resnet18", 512), ("resnet34", 512), ("resnet50", 2048) })
        {
            table.AddRow(name, $"TorchVision {name}, random init ({features} features) + linear head; --weights FILE loads a PyTorch state_dict (.safetensors/.pt)", "any size ≥ 32, ImageNet-normalised RGB", "layer4", "nothing (weights optional)");
        }

        console.Write(table);
        console.MarkupLine("[grey]Options: --train-stages N|all (0 = head only), --backbone-lr LR, --features-tensor NAME, --weights FILE.[/]");
        return 0;
    }
}
