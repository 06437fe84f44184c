// Example: a 2-layer MLP (1 -> 64 -> 1, GELU) fitting y = sin(x) on [-pi, pi] with AdamW, through the libtorch bindings.
// Shows the usual step: a DisposeScope per step, forward, loss, backward, gradient clipping, optimizer step, a cosine
// learning-rate schedule, progress lines, and a final report checked against a held-out grid.
// Usage: dotnet run --project src/Examples/MlpDemo -c Release [-- --steps N] [--device cpu|cuda|auto]
using System.Diagnostics;
using System.Globalization;
using MaskedSft.Examples.MlpDemo;
using MaskedSft.Torch;
using MaskedSft.Torch.Optim;

var steps = 2000;
var device = Device.Auto;
for (var i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--steps":
            steps = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            break;
        case "--device":
            device = Device.Parse(args[i + 1]);
            break;
        default:
            Console.Error.WriteLine($"unknown option {args[i]}; use --steps N and --device cpu|cuda|auto");
            return 2;
    }
}

const int batch = 256;
const double peakLr = 1e-2;
TorchOps.ManualSeed(0);
using var generator = Generator.Create(42, device);
using var model = new Mlp(hidden: 64, generator, device);
using var optimizer = new AdamW(model.NamedParameters(), learningRate: peakLr, weightDecay: 1e-4);
Console.WriteLine($"MLP demo: fit sin(x) on [-pi, pi] with a {model.NamedParameters().Sum(p => p.Parameter.NumberOfElements)}-parameter " +
    $"2-layer MLP, AdamW, {steps} steps of {batch} samples, device {device}, libtorch {TorchOps.TorchVersion}, {TorchOps.GetNumThreads()} threads");

var baseline = TensorCounters.Live;
var watch = Stopwatch.StartNew();
double loss = double.NaN, gradNorm = 0;
for (var step = 1; step <= steps; step++)
{
    using var scope = new DisposeScope();
    optimizer.LearningRate = peakLr * 0.5 * (1 + Math.Cos(Math.PI * (step - 1) / steps)); // cosine decay
    var x = (TorchOps.Rand([batch, 1], generator, device: device) * (2 * Math.PI)) - Math.PI; // (B, 1)
    var y = x.Sin();                                                                           // (B, 1)
    optimizer.ZeroGrad();
    var lossTensor = TorchOps.MseLoss(model.Forward(x), y);
    lossTensor.Backward();
    gradNorm = TorchOps.ClipGradNorm(model.Parameters(), maxNorm: 1.0);
    optimizer.Step();
    loss = lossTensor.Item<float>();
    if (!double.IsFinite(loss))
    {
        Console.Error.WriteLine($"step {step}: the loss is not finite ({loss}); stopping");
        return 1;
    }

    if (step == 1 || step % Math.Max(1, steps / 10) == 0 || step == steps)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"step {step,5}/{steps}  loss {loss,10:F6}  grad-norm {gradNorm,8:F4}  lr {optimizer.LearningRate:E2}  " +
            $"step tensors {TensorCounters.Live - baseline,3}  {watch.Elapsed.TotalSeconds,6:F1}s"));
    }
}

// Held-out evaluation on a dense grid, without gradients.
double evalMse, maxError;
using (var scope = new DisposeScope())
using (new NoGradScope())
{
    model.Eval();
    var grid = TorchOps.Linspace(-Math.PI, Math.PI, 1001, device: device).Unsqueeze(1); // (1001, 1)
    var error = model.Forward(grid) - grid.Sin();
    evalMse = error.Square().Mean().Item<float>();
    maxError = error.Abs().Max().Item<float>();
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"final: train loss {loss:F6}, held-out MSE {evalMse:F6}, max |error| {maxError:F4} on 1001 points, " +
    $"{steps / watch.Elapsed.TotalSeconds:F0} steps/s, peak live tensors {TensorCounters.Peak}, live after training {TensorCounters.Live - baseline}"));
if (evalMse > 1e-2)
{
    Console.Error.WriteLine($"the MLP did not fit sin(x) (held-out MSE {evalMse:F4} > 0.01)");
    return 1;
}

return 0;
