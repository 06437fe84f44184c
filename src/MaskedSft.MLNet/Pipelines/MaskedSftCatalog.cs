// mlContext.MaskedSft(): the catalog of episode data views, the chat-template transform and the loss-masked SFT trainer.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Pipelines;

namespace Microsoft.ML;

/// <summary>
/// MaskedSft's components for an <see cref="MLContext"/>, reached through <see cref="MaskedSftCatalogExtensions.MaskedSft"/>:
/// episode datasets as data views (<see cref="LoadEpisodes"/>, <see cref="SaveEpisodes(IDataView, string, bool)"/>), the
/// chat-template transform (<see cref="ApplyChatTemplate(Tokenizers.Tokenizer, string, string, int)"/>) and the
/// trainers (<see cref="Trainers"/>).
/// <code>
/// var mlContext = new MLContext(seed: 1);
/// var chats = mlContext.Data.LoadFromTextFile&lt;Chat&gt;("chats.tsv");
/// var pipeline = mlContext.MaskedSft().ApplyChatTemplate(HuggingFaceTokenizer.FromFile("tokenizer/"))
///     .Append(mlContext.MaskedSft().Trainers.LossMaskedSft(new LossMaskedSftTrainer.Options { Steps = 300 }));
/// var model = pipeline.Fit(chats);
/// mlContext.Model.Save(model, chats.Schema, "model.zip");
/// </code>
/// </summary>
public sealed class MaskedSftCatalog
{
    internal MaskedSftCatalog(MLContext context)
    {
        Context = context;
        Trainers = new MaskedSftTrainers(this);
    }

    /// <summary>The trainers (<c>LossMaskedSft</c>).</summary>
    public MaskedSftTrainers Trainers { get; }

    /// <summary>The context the components are made for.</summary>
    internal MLContext Context { get; }

    /// <summary>
    /// Opens an episode dataset directory (docs/episode-dataset-format.md) as a data view with the columns of
    /// <see cref="EpisodeColumns"/>. The content is verified once here; rows are read lazily through memory-mapped files.
    /// </summary>
    /// <param name="directory">The dataset directory (written by <c>maskedsft prepare</c> or <see cref="SaveEpisodes(IDataView, string, bool)"/>).</param>
    /// <param name="split">Only the episodes of this split, or null (default) for all of them.</param>
    /// <returns>The data view.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="EpisodeDatasetException">The directory is not a valid episode dataset; the message names the file,
    /// the episode and the offset, with a hint.</exception>
    public EpisodeDataView LoadEpisodes(string directory, DatasetSplit? split = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return new EpisodeDataView(directory, split);
    }

    /// <summary>Writes the rows of a data view as an episode dataset (atomically: the directory appears only when complete).</summary>
    /// <param name="data">Rows with <c>Tokens</c> (vector of Int32) and <c>LossMask</c> (vector of Boolean), and optionally
    /// <c>Advantages</c>, <c>Key</c>, <c>Score</c>, <c>Group</c> (see <see cref="EpisodeColumns"/>).</param>
    /// <param name="directory">The dataset directory to create.</param>
    /// <param name="overwrite">Replace an existing dataset there.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or has the wrong type; the message names the
    /// column, the expected and the actual type.</exception>
    /// <exception cref="ArgumentException">A row is invalid (lengths differ, id out of range, duplicate key); the message names the row.</exception>
    /// <exception cref="IOException">The directory exists (without <paramref name="overwrite"/>) or writing failed.</exception>
    public void SaveEpisodes(IDataView data, string directory, bool overwrite = false) =>
        SaveEpisodes(data, directory, new SaveEpisodesOptions { Overwrite = overwrite });

    /// <summary>Writes the rows of a data view as an episode dataset, with full options.</summary>
    /// <param name="data">The rows (columns named by <paramref name="options"/>).</param>
    /// <param name="directory">The dataset directory to create.</param>
    /// <param name="options">Columns, vocabulary, pad id, tokenizer identity, split rule, overwrite.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or has the wrong type.</exception>
    /// <exception cref="ArgumentException">A row is invalid; the message names the row.</exception>
    /// <exception cref="IOException">The directory exists (without Overwrite) or writing failed.</exception>
    public void SaveEpisodes(IDataView data, string directory, SaveEpisodesOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(options);
        EpisodeViewWriter.Save(data, directory, options);
    }

    /// <summary>
    /// Renders a text column of chats (one per row, as JSON) into <c>Tokens</c> and an assistant-only <c>LossMask</c>.
    /// </summary>
    /// <param name="tokenizer">The tokenizer: <see cref="HuggingFaceTokenizer.FromFile"/>, or any ML.NET tokenizer (e.g.
    /// <c>TiktokenTokenizer.CreateForModel("gpt-4o", extraSpecialTokens)</c>; such a pipeline cannot be saved).</param>
    /// <param name="template">The chat template: <c>chatml</c>, <c>llama3</c>, or a template JSON file.</param>
    /// <param name="inputColumnName">The text column holding one chat per row.</param>
    /// <param name="maxLength">Most tokens per row (longer chats are truncated; 0 = no limit).</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tokenizer"/> or a name is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is negative.</exception>
    /// <exception cref="FileNotFoundException"><paramref name="template"/> is neither a built-in template nor a file.</exception>
    /// <exception cref="MaskedSft.MLNet.Tokenizers.Templates.ChatTemplateException">The template is invalid or needs tokens the tokenizer lacks.</exception>
    public ChatTemplateEstimator ApplyChatTemplate(Tokenizers.Tokenizer tokenizer, string template = "chatml", string inputColumnName = "Messages", int maxLength = 4096)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(inputColumnName);
        return ApplyChatTemplate(new ChatTemplateEstimator.Options { Tokenizer = tokenizer, Template = template, InputColumnName = inputColumnName, MaxLength = maxLength });
    }

    /// <summary>Renders a text column of chats into token ids and a loss mask, with full options.</summary>
    /// <param name="options">Tokenizer, template, column names, limits and which turns are trained.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or its tokenizer is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    /// <exception cref="FileNotFoundException">The template is neither a built-in template nor a file.</exception>
    /// <exception cref="MaskedSft.MLNet.Tokenizers.Templates.ChatTemplateException">The template is invalid or needs tokens the tokenizer lacks.</exception>
    public ChatTemplateEstimator ApplyChatTemplate(ChatTemplateEstimator.Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new ChatTemplateEstimator(Context, options);
    }

    /// <summary>The trainers of <see cref="MaskedSftCatalog"/>.</summary>
    public sealed class MaskedSftTrainers
    {
        internal MaskedSftTrainers(MaskedSftCatalog owner) => Owner = owner;

        /// <summary>The owning catalog.</summary>
        internal MaskedSftCatalog Owner { get; }

        /// <summary>A loss-masked SFT trainer (advantage-weighted when the data has <c>Advantages</c>) with the main settings;
        /// the others keep the engine's defaults.</summary>
        /// <param name="preset">Model preset: tiny, small or medium.</param>
        /// <param name="steps">Optimizer steps (null = the engine's default).</param>
        /// <param name="learningRate">Peak learning rate (null = the engine's default).</param>
        /// <param name="batchSize">Rows per micro-batch (null = the engine's default).</param>
        /// <param name="outputDirectory">Run directory for data/, metrics, hard examples, report and checkpoints, or null.</param>
        /// <returns>The trainer.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="preset"/> is null.</exception>
        /// <exception cref="ArgumentException">The preset is unknown.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
        public LossMaskedSftTrainer LossMaskedSft(string preset = "tiny", int? steps = null, double? learningRate = null, int? batchSize = null, string? outputDirectory = null)
        {
            ArgumentNullException.ThrowIfNull(preset);
            var defaults = new LossMaskedSftTrainer.Options();
            return LossMaskedSft(defaults with
            {
                Preset = preset,
                MaxSteps = steps ?? defaults.MaxSteps,
                LearningRate = learningRate ?? defaults.LearningRate,
                BatchSize = batchSize ?? defaults.BatchSize,
                OutputDirectory = outputDirectory,
            });
        }

        /// <summary>A loss-masked SFT trainer from full options.</summary>
        /// <param name="options">The options.</param>
        /// <returns>The trainer.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
        /// <exception cref="ArgumentException">The preset is unknown.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
        public LossMaskedSftTrainer LossMaskedSft(LossMaskedSftTrainer.Options options)
        {
            ArgumentNullException.ThrowIfNull(options);
            return new LossMaskedSftTrainer(Owner.Context, options);
        }

        /// <summary>On-policy GRPO (<see cref="GrpoTrainer"/>): trains <paramref name="model"/> in place on the prompts of the
        /// <c>PromptTokens</c> column, sampling G completions per prompt and scoring them with <paramref name="reward"/>.</summary>
        /// <param name="model">The policy (a LoRA model trains its adapters; its base is the KL reference).</param>
        /// <param name="reward">Scores a completion (a C# delegate).</param>
        /// <param name="options">GRPO options; null = defaults.</param>
        /// <returns>The estimator.</returns>
        /// <exception cref="ArgumentNullException">A required argument is null.</exception>
        public GrpoTrainer Grpo(MaskedSft.MLNet.Models.Pretrained.IKvCacheCausalLm model, MaskedSft.MLNet.Training.Rl.CompletionReward reward,
            MaskedSft.MLNet.Training.Rl.OnPolicyGrpoOptions? options = null) => new(Owner.Context, model, reward, options);
    }
}
