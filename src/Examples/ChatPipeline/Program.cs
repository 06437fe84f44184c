// An ML.NET pipeline with MaskedSft: load chats -> ApplyChatTemplate -> LossMaskedSft -> Save; Load -> Transform in a fresh process.
//
//   ChatPipeline chats OUT.jsonl [COUNT]                       write COUNT synthetic chats (one JSON object per line)
//   ChatPipeline train CHATS.jsonl TOKENIZER TEMPLATE MODEL.zip [STEPS]   fit the pipeline, save it, print each row's score
//   ChatPipeline score MODEL.zip CHATS.jsonl                   load the saved pipeline and print each row's score
//
// Both train and score print one line per chat: "row N tokens=T hash=H supervised=S loss=L" (L with all its digits), so
// the outputs of two processes can be compared exactly.
using System.Globalization;
using System.Text.Json;
using MaskedSft.MLNet.Pipelines;
using Microsoft.ML;

var command = args.Length > 0 ? args[0] : "";
switch (command)
{
    case "chats" when args.Length >= 2:
        WriteChats(args[1], args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 96);
        return 0;
    case "train" when args.Length >= 5:
        Train(args[1], args[2], args[3], args[4], args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 60);
        return 0;
    case "score" when args.Length >= 3:
        Score(args[1], args[2]);
        return 0;
    default:
        Console.Error.WriteLine("usage: ChatPipeline chats OUT.jsonl [COUNT] | train CHATS.jsonl TOKENIZER TEMPLATE MODEL.zip [STEPS] | score MODEL.zip CHATS.jsonl");
        return 2;
}

static void Train(string chatsPath, string tokenizerPath, string template, string modelPath, int steps)
{
    var mlContext = new MLContext(seed: 1);
    var chats = mlContext.Data.LoadFromEnumerable(ReadChats(chatsPath));
    var tokenizer = HuggingFaceTokenizer.FromFile(tokenizerPath);
    var pipeline = mlContext.MaskedSft().ApplyChatTemplate(tokenizer, template, maxLength: 128)
        .Append(mlContext.MaskedSft().Trainers.LossMaskedSft(new LossMaskedSftTrainer.Options
        {
            Preset = "tiny",
            Steps = steps,
            BatchSize = 16,
            LearningRate = 3e-3,
            WarmupSteps = 5,
            EvalInterval = 0,
            Device = MaskedSft.Torch.Device.Cpu,
            Log = Console.Out,
        }));
    var model = pipeline.Fit(chats);
    var trained = model.LastTransformer;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"trained {trained.TrainingResult!.Step} steps, final loss {trained.TrainingResult.FinalLoss:F4}"));
    foreach (var hard in mlContext.Data.CreateEnumerable<HardExampleRow>(trained.HardExamples, reuseRowObject: false).Take(3))
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hard example {hard.Key} loss {hard.Loss:F3}: {JsonSerializer.Serialize(hard.Text)}"));
    }

    mlContext.Model.Save(model, chats.Schema, modelPath);
    Console.WriteLine($"saved {modelPath} ({new FileInfo(modelPath).Length:N0} bytes)");
    Print(mlContext, model.Transform(chats));
    trained.Dispose();
}

static void Score(string modelPath, string chatsPath)
{
    // A plain ML.NET load: no MaskedSft type is touched first; the model file names the assembly of its pieces.
    var mlContext = new MLContext(seed: 2);
    var model = mlContext.Model.Load(modelPath, out var inputSchema);
    Console.WriteLine($"loaded {modelPath}: input {string.Join(", ", inputSchema.Select(c => $"{c.Name} ({c.Type})"))}");
    Print(mlContext, model.Transform(mlContext.Data.LoadFromEnumerable(ReadChats(chatsPath))));
}

static void Print(MLContext mlContext, IDataView scored)
{
    int row = 0;
    foreach (var score in mlContext.Data.CreateEnumerable<ScoredChat>(scored, reuseRowObject: false))
    {
        var tokens = score.Tokens ?? [];
        long hash = tokens.Aggregate(17L, (h, t) => unchecked((h * 31) + t));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"row {row++} tokens={tokens.Length} hash={hash} supervised={score.SupervisedTokens} loss={score.Loss:R}"));
    }
}

static List<Chat> ReadChats(string path) => [.. File.ReadLines(path).Where(l => l.Trim().Length > 0).Select(l => new Chat { Messages = l })];

static void WriteChats(string path, int count)
{
    string[] countries = ["arvenia", "belmora", "castria", "dornholt", "elvaria", "fenwick", "galdor", "halvia"];
    string[] capitals = ["alba", "brill", "corin", "dunmere", "esk", "farrow", "glen", "hale"];
    string[] openers = ["Hi!", "Hello there.", "Quick question:", "Please help.", "Hey,"];
    var random = new Random(7);
    using var writer = new StreamWriter(path);
    for (int i = 0; i < count; i++)
    {
        int c = random.Next(countries.Length);
        var chat = new
        {
            messages = new object[]
            {
                new { role = "user", content = $"{openers[random.Next(openers.Length)]} What is the capital of {countries[c]}?" },
                new { role = "assistant", content = $" The capital of {countries[c]} is {capitals[c]}." },
            },
        };
        writer.WriteLine(JsonSerializer.Serialize(chat));
    }
}

/// <summary>One chat per row, as JSON.</summary>
internal sealed class Chat
{
    public string Messages { get; set; } = "";
}

/// <summary>What the pipeline adds to a chat.</summary>
internal sealed class ScoredChat
{
    public int[]? Tokens { get; set; }

    public int SupervisedTokens { get; set; }

    public float Loss { get; set; }
}
