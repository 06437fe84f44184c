// Benchmark: single-thread GPT-2 encode throughput (MB/s of UTF-8) of HuggingFaceTokenizer beside ML.NET's own tokenizers
// that read the same vocabulary (TiktokenTokenizer "gpt2", CodeGenTokenizer over encoder.json + vocab.bpe), interleaved
// in one process, plus the share of documents on which each gives HuggingFaceTokenizer's ids (which equal Hugging Face's).
//   dotnet run --project bench/MlNetTokenizers -c Release -- [--tokenizer .cache/tokenizers/gpt2] [--mb 4] [--passes 5]
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using MaskedSft.Bench.Tokenizer;
using MaskedSft.MLNet.Pipelines;
using Microsoft.ML.Tokenizers;

var c = CultureInfo.InvariantCulture;
string folder = ".cache/tokenizers/gpt2";
double megabytes = 4;
int passes = 5;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--tokenizer": folder = args[i + 1]; break;
        case "--mb": megabytes = double.Parse(args[i + 1], c); break;
        case "--passes": passes = int.Parse(args[i + 1], c); break;
        default: Console.Error.WriteLine("usage: MlNetTokenizersBench [--tokenizer DIR] [--mb 4] [--passes 5]"); return 2;
    }
}

if (!File.Exists(Path.Combine(folder, "encoder.json")))
{
    Console.Error.WriteLine($"{folder}/encoder.json is missing: run from the repository root after `bash scripts/setup.sh`, or pass --tokenizer DIR.");
    return 2;
}

var documents = new MixedText(20240611).Documents((long)(megabytes * 1_000_000));
long bytes = documents.Sum(d => (long)Encoding.UTF8.GetByteCount(d));
using var vocab = File.OpenRead(Path.Combine(folder, "encoder.json"));
using var merges = File.OpenRead(Path.Combine(folder, "vocab.bpe"));
var tokenizers = new (string Name, Tokenizer Tokenizer)[]
{
    ("HuggingFaceTokenizer (ours)", HuggingFaceTokenizer.FromFile(folder)),
    ("ML.NET TiktokenTokenizer gpt2", TiktokenTokenizer.CreateForModel("gpt2")),
    ("ML.NET CodeGenTokenizer", CodeGenTokenizer.Create(vocab, merges)),
};

Console.WriteLine($"GPT-2 encode, single thread, {documents.Count:N0} documents, {bytes / 1e6:F1} MB mixed text, {passes} interleaved passes after a warm-up");
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");
var reference = documents.Select(d => tokenizers[0].Tokenizer.EncodeToIds(d).ToArray()).ToList();
var seconds = tokenizers.Select(_ => new List<double>()).ToArray();
for (int pass = -1; pass < passes; pass++)
{
    for (int t = 0; t < tokenizers.Length; t++)
    {
        var tokenizer = tokenizers[t].Tokenizer;
        long count = 0;
        var watch = Stopwatch.StartNew();
        foreach (string document in documents)
        {
            count += tokenizer.EncodeToIds(document).Count;
        }

        watch.Stop();
        if (pass >= 0)
        {
            seconds[t].Add(watch.Elapsed.TotalSeconds);
        }
    }
}

double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

double ours = bytes / 1e6 / Median(seconds[0]);
Console.WriteLine($"{"tokenizer",-32} {"MB/s (median)",14} {"min..max",16} {"vs ours",8} {"same ids",10}");
for (int t = 0; t < tokenizers.Length; t++)
{
    double rate = bytes / 1e6 / Median(seconds[t]);
    string range = $"{bytes / 1e6 / seconds[t].Max():F2}..{bytes / 1e6 / seconds[t].Min():F2}";
    int same = documents.Select((d, i) => tokenizers[t].Tokenizer.EncodeToIds(d).SequenceEqual(reference[i])).Count(x => x);
    Console.WriteLine(string.Create(c, $"{tokenizers[t].Name,-32} {rate,14:F2} {range,16} {rate / ours,8:F2}x {100.0 * same / documents.Count,9:F1}%"));
}

return 0;
