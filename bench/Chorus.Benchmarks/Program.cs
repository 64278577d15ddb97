using System.Diagnostics;
using Chorus.Torch.Models;
using TorchSharp;
using static TorchSharp.torch;

var size = args.Length > 0 ? int.Parse(args[0]) : 64;
var batch = 64;
torch.set_num_threads(2);
foreach (var widths in new[] { new[] { 16, 32, 64 }, new[] { 32, 64, 128 } })
{
    torch.manual_seed(0);
    using var model = new SmallCnn(8, widths: widths);
    var opt = optim.Adam(model.parameters(), 1e-3);
    model.train();
    var sw = Stopwatch.StartNew();
    var n = 0;
    for (var i = 0; i < 12; i++)
    {
        using var d = NewDisposeScope();
        var x = randn(batch, 3, size, size);
        var y = randint(0, 8, [batch]);
        opt.zero_grad();
        var loss = nn.functional.cross_entropy(model.call(x), y);
        loss.backward();
        opt.step();
        if (i == 1) { sw.Restart(); n = 0; } else { n += batch; }
    }
    Console.WriteLine($"widths {string.Join("/", widths)} size {size}: train {n / sw.Elapsed.TotalSeconds:F0} img/s");
    model.eval();
    sw.Restart(); n = 0;
    for (var i = 0; i < 10; i++)
    {
        using var d = NewDisposeScope();
        var x = randn(batch, 3, size, size).requires_grad_(true);
        var y = randint(0, 8, [batch]);
        var s = model.call(x).gather(1, y.unsqueeze(1)).sum();
        var g = torch.autograd.grad([s], [x])[0];
        n += batch;
    }
    Console.WriteLine($"  input-grad {n / sw.Elapsed.TotalSeconds:F0} img/s");
}
