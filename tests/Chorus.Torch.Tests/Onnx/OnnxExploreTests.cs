using Chorus.Torch.Models;
using Chorus.Torch.Onnx;
using Xunit.Abstractions;

namespace Chorus.Torch.Tests.Onnx;

public class OnnxExploreTests(ITestOutputHelper output)
{
    [Fact]
    public void Dump()
    {
        foreach (var path in new[] { TestPaths.Golden("tinycnn", "model.onnx"), PretrainedModels.ResNet18ImageNetPath() })
        {
            var proto = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
            output.WriteLine($"{path} ir {proto.IrVersion} opset {string.Join(",", proto.OpsetImport.Select(o => o.Domain + ":" + o.Version))} producer {proto.ProducerName}");
            output.WriteLine("inputs " + string.Join("; ", proto.Graph.Input.Take(3).Select(i => i.Name + " " + i.Type)));
            output.WriteLine("outputs " + string.Join("; ", proto.Graph.Output.Select(i => i.Name + " " + i.Type)));
            output.WriteLine("ops " + string.Join(",", proto.Graph.Node.Select(n => n.OpType).Distinct()));
            foreach (var n in proto.Graph.Node.Where(n => n.OpType is not ("Conv" or "BatchNormalization" or "Relu")).Take(20))
            {
                output.WriteLine($"  {n.OpType} {n.Name} in=[{string.Join(",", n.Input)}] out=[{string.Join(",", n.Output)}] {string.Join(" ", n.Attribute.Select(a => a.Name + "=" + a.I + "/" + string.Join(",", a.Ints)))}");
            }

            output.WriteLine("first conv attrs: " + string.Join(" ", proto.Graph.Node.First(n => n.OpType == "Conv").Attribute.Select(a => a.Name + "=" + string.Join(",", a.Ints))));
            var m = OnnxModel.Load(path);
            output.WriteLine($"loaded: classes {m.NumClasses} cam {m.DefaultCamLayer} out {m.OutputName} shape [{string.Join(",", m.TensorShapes[m.OutputName])}] params {m.parameters().Count()} layers {m.LayerNames.Count}");
            m.Dispose();
        }
    }
}
