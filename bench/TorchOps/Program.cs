// Benchmark: per-op call overhead on tiny tensors and matmul + cross-entropy forward/backward at (4096x1024)·(1024x50304)
// through the .NET bindings, beside the same work in PyTorch-Python (reference.py, started here and driven over stdin so
// that PyTorch and .NET trials alternate, in alternating order, after a pause that lets the other process's spinning
// BLAS/OpenMP workers go idle, and so share the machine's load alike). Each figure is the best trial; ratio printed.
// Usage: dotnet run --project bench/TorchOps -c Release [-- --device cpu|cuda] [--tiny-iterations N] [--trials N] [--big-reps N]
using System.Diagnostics;
using System.Globalization;
using MaskedSft.Bench;
using MaskedSft.Torch;

var options = Options.Parse(args);
var device = Device.Parse(options.Device);
Console.WriteLine($"TorchOps benchmark: device {device}, libtorch {TorchOps.TorchVersion}, intra-op threads {TorchOps.GetNumThreads()}, " +
    $"{Environment.ProcessorCount} cores; tiny ops: best of {options.Trials} trials of {options.TinyIterations} adds; " +
    $"big op ({options.Rows}x{options.Hidden})·({options.Hidden}x{options.Vocab}) fp32: best of {options.BigReps} after a warm-up");

using var python = PythonReference.Start(options);
Console.WriteLine($"PyTorch reference: {python.Description}");

// Tiny ops: alternate one PyTorch trial and one .NET trial.
using var a = TorchOps.Rand([4], device: device).DetachFromDisposeScope();
using var b = TorchOps.Rand([4], device: device).DetachFromDisposeScope();
double addNet = double.MaxValue, chainNet = double.MaxValue, addPy = double.MaxValue, chainPy = double.MaxValue;
TinyTrial(a, b, 1000);
for (var t = 0; t < options.Trials; t++)
{
    // Alternate who goes first, and let the other process's spinning BLAS/OpenMP workers go idle before each trial.
    for (var side = 0; side < 2; side++)
    {
        Thread.Sleep(200);
        if ((side + t) % 2 == 0)
        {
            var reply = python.Ask($"tiny {options.TinyIterations}");
            addPy = Math.Min(addPy, reply.GetProperty("add_us").GetDouble());
            chainPy = Math.Min(chainPy, reply.GetProperty("chain_us").GetDouble());
        }
        else
        {
            var (add, chain) = TinyTrial(a, b, options.TinyIterations);
            addNet = Math.Min(addNet, add);
            chainNet = Math.Min(chainNet, chain);
        }
    }
}

// Big op: a warm-up each, then alternate.
using var g = Generator.Create(0, device);
using var x = TorchOps.Randn([options.Rows, options.Hidden], g).DetachFromDisposeScope();
using var w = TorchOps.Randn([options.Hidden, options.Vocab], g).MulInPlace(0.02).WithRequiresGrad().DetachFromDisposeScope();
using var target = TorchOps.RandInt(0, options.Vocab, [options.Rows], g).DetachFromDisposeScope();
double bigNet = double.MaxValue, bigPy = double.MaxValue, lossNet = 0, lossPy = 0;
for (var rep = 0; rep <= options.BigReps; rep++)
{
    for (var side = 0; side < 2; side++)
    {
        Thread.Sleep(1000);
        if ((side + rep) % 2 == 0)
        {
            var reply = python.Ask("big");
            bigPy = rep > 0 ? Math.Min(bigPy, reply.GetProperty("big_ms").GetDouble()) : bigPy;
            lossPy = reply.GetProperty("loss").GetDouble();
        }
        else
        {
            var (ms, loss) = BigTrial(x, w, target);
            bigNet = rep > 0 ? Math.Min(bigNet, ms) : bigNet;
            lossNet = loss;
        }
    }
}

Console.WriteLine();
Console.WriteLine($"{"work",-60} {".NET",12} {"PyTorch",12} {"ratio",7}");
Row("add of two 4-element tensors (µs per op)", addNet, addPy);
Row("relu(a + b).sum() on 4 elements (µs per 3-op chain, scoped)", chainNet, chainPy);
Row($"matmul + cross-entropy fwd+bwd {options.Rows}x{options.Hidden}x{options.Vocab} (ms)", bigNet, bigPy);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"ratio = .NET / PyTorch (below 1.0: .NET faster). Loss .NET {lossNet:F5}, PyTorch {lossPy:F5}."));
return 0;

static void Row(string name, double ours, double theirs) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-60} {ours,12:F3} {theirs,12:F3} {ours / theirs,7:F3}"));

static (double AddUs, double ChainUs) TinyTrial(Tensor a, Tensor b, int n)
{
    TorchOps.CudaSynchronize();
    var watch = Stopwatch.StartNew();
    for (var i = 0; i < n; i++)
    {
        a.Add(b).Dispose();
    }

    TorchOps.CudaSynchronize();
    var addUs = watch.Elapsed.TotalMilliseconds * 1000 / n;

    // The chain runs as a training step would: every intermediate registered with a dispose scope.
    var chains = n / 4 / 100 * 100;
    watch.Restart();
    for (var i = 0; i < chains; i += 100)
    {
        using var scope = new DisposeScope();
        for (var j = 0; j < 100; j++)
        {
            _ = (a + b).Relu().Sum();
        }
    }

    TorchOps.CudaSynchronize();
    return (addUs, watch.Elapsed.TotalMilliseconds * 1000 / Math.Max(chains, 1));
}

static (double Ms, double Loss) BigTrial(Tensor x, Tensor w, Tensor target)
{
    using var scope = new DisposeScope();
    TorchOps.CudaSynchronize();
    var watch = Stopwatch.StartNew();
    var loss = TorchOps.CrossEntropy(x.Matmul(w), target);
    loss.Backward();
    TorchOps.CudaSynchronize();
    var ms = watch.Elapsed.TotalMilliseconds;
    w.ZeroGrad();
    return (ms, loss.Item<float>());
}
