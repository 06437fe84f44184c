// ApplyChatTemplate's estimator: checks the chat column and builds the transformer (nothing to learn from the data).
using MaskedSft.MLNet.Pipelines.Mappings;
using MaskedSft.MLNet.Tokenizers.Templates;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Tokenizers;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>
/// Renders a text column holding one chat per row as JSON (<c>{"messages": [{"role", "content"}, ...]}</c>, as
/// <c>maskedsft prepare</c> reads, or just the array) into <c>Tokens</c> (vector of Int32) and <c>LossMask</c> (vector of
/// Boolean, true exactly on the trained assistant tokens and their end-of-turn token) with a chat template and any
/// <see cref="Tokenizer"/>. Row to row and lazy; the fitted <see cref="ChatTemplateTransformer"/> saves with the model.
/// Made by <see cref="MaskedSftCatalog.ApplyChatTemplate(Tokenizer, string, string, int)"/>.
/// </summary>
public sealed class ChatTemplateEstimator : IEstimator<ChatTemplateTransformer>
{
    private readonly MLContext _context;
    private readonly ChatTemplateState _state;
    private readonly ColumnRequirement _input;
    private readonly IEstimator<ITransformer> _mapping;

    internal ChatTemplateEstimator(MLContext context, Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Tokenizer, nameof(options.Tokenizer));
        ArgumentException.ThrowIfNullOrEmpty(options.Template, nameof(options.Template));
        ArgumentException.ThrowIfNullOrEmpty(options.InputColumnName, nameof(options.InputColumnName));
        ArgumentException.ThrowIfNullOrEmpty(options.TokensColumnName, nameof(options.TokensColumnName));
        ArgumentException.ThrowIfNullOrEmpty(options.LossMaskColumnName, nameof(options.LossMaskColumnName));
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxLength, nameof(options.MaxLength));
        _context = context;
        EstimatorOptions = options;
        _state = ChatTemplateState.Create(options);
        _input = new ColumnRequirement(options.InputColumnName, "one chat as JSON", TextDataViewType.Instance, false);

        var input = SchemaDefinition.Create(typeof(ChatTemplateInput));
        input[nameof(ChatTemplateInput.Messages)].ColumnName = options.InputColumnName;
        var output = SchemaDefinition.Create(typeof(ChatTemplateOutput));
        output[nameof(ChatTemplateOutput.Tokens)].ColumnName = options.TokensColumnName;
        output[nameof(ChatTemplateOutput.LossMask)].ColumnName = options.LossMaskColumnName;
        if (options.Tokenizer is HuggingFaceTokenizer hf)
        {
            var tokens = output[nameof(ChatTemplateOutput.Tokens)];
            tokens.AddAnnotation(EpisodeColumns.VocabSizeAnnotation, hf.VocabularySize, NumberDataViewType.Int32);
            tokens.AddAnnotation(EpisodeColumns.PadIdAnnotation, hf.PaddingId ?? hf.EndOfSequenceId ?? 0, NumberDataViewType.Int32);
            tokens.AddAnnotation(EpisodeColumns.TokenizerNameAnnotation, Path.GetDirectoryName(hf.SourceFiles[0])!.AsMemory(), TextDataViewType.Instance);
            tokens.AddAnnotation(EpisodeColumns.TokenizerFingerprintAnnotation, hf.Fingerprint.AsMemory(), TextDataViewType.Instance);
        }

        var state = _state;
        _mapping = context.Transforms.CustomMapping<ChatTemplateInput, ChatTemplateOutput>(
            (source, row) => (row.Tokens, row.LossMask) = state.Map(source.Messages), contractName: null, input, output);
    }

    /// <summary>The options.</summary>
    public Options EstimatorOptions { get; }

    /// <summary>Checks the input column and returns the transformer (the template needs no training).</summary>
    /// <param name="input">Data with the chat column.</param>
    /// <returns>The transformer.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The chat column is missing or not text; the message names it and both types.</exception>
    public ChatTemplateTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _input.Check(input.Schema);
        var mapping = _mapping.Fit(input);
        var state = _state;
        var options = EstimatorOptions;
        var core = new SaveableMapping(mapping, schema => _input.Check(schema), () => SavedChain(_context, state, options), input.Schema);
        return new ChatTemplateTransformer(core, state, options);
    }

    /// <summary>The schema after the transform: the input plus <c>Tokens</c> (vector of Int32) and <c>LossMask</c> (vector of Boolean).</summary>
    /// <param name="inputSchema">The input's schema shape.</param>
    /// <returns>The output's schema shape.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inputSchema"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The chat column is missing or not text.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        _input.Check(inputSchema);
        return _mapping.GetOutputSchema(inputSchema);
    }

    private static IEstimator<ITransformer> SavedChain(MLContext ml, ChatTemplateState state, Options options) =>
        SavedState.Loader(ml, state.ToBytes())
            .Append(ml.Transforms.CopyColumns(SavedChatTemplateInput.MessagesColumn, options.InputColumnName))
            .Append(ml.Transforms.CustomMapping(new ApplyChatTemplateFactory().GetMapping(), ApplyChatTemplateFactory.ContractName))
            .Append(ml.Transforms.CopyColumns(options.TokensColumnName, SavedChatTemplateOutput.TokensColumn))
            .Append(ml.Transforms.CopyColumns(options.LossMaskColumnName, SavedChatTemplateOutput.LossMaskColumn))
            .Append(ml.Transforms.DropColumns([.. SavedState.Columns, SavedChatTemplateInput.MessagesColumn, SavedChatTemplateOutput.TokensColumn, SavedChatTemplateOutput.LossMaskColumn]));

    /// <summary>Options of <see cref="ChatTemplateEstimator"/>.</summary>
    public sealed class Options
    {
        /// <summary>The tokenizer (required): a <see cref="HuggingFaceTokenizer"/> (saved with the model, exact control of
        /// special tokens in message text) or any ML.NET <see cref="Microsoft.ML.Tokenizers.Tokenizer"/> such as
        /// <see cref="TiktokenTokenizer"/> (not saveable; special tokens in message text are matched as the tokenizer does).</summary>
        public Tokenizer? Tokenizer { get; set; }

        /// <summary>The chat template: <c>chatml</c> (default), <c>llama3</c>, or the path of a template JSON file
        /// (docs/chat-templates.md). Its required tokens must be single tokens of the tokenizer.</summary>
        public string Template { get; set; } = "chatml";

        /// <summary>The text column holding one chat per row as JSON (default <c>Messages</c>).</summary>
        public string InputColumnName { get; set; } = "Messages";

        /// <summary>The output column of token ids (default <c>Tokens</c>).</summary>
        public string TokensColumnName { get; set; } = EpisodeColumns.Tokens;

        /// <summary>The output column of the loss mask (default <c>LossMask</c>).</summary>
        public string LossMaskColumnName { get; set; } = EpisodeColumns.LossMask;

        /// <summary>Most tokens per row; longer chats are truncated at the end (default 4096; 0 = no limit).</summary>
        public int MaxLength { get; set; } = 4096;

        /// <summary>Which assistant turns are trained (default all).</summary>
        public AssistantTurns TrainOn { get; set; } = AssistantTurns.All;

        /// <summary>Whether special tokens written inside message text are matched as special tokens (default false:
        /// they are encoded as text, so data cannot close a turn early). Only a <see cref="HuggingFaceTokenizer"/> can
        /// turn matching off.</summary>
        public bool AllowSpecialTokensInContent { get; set; }
    }
}
