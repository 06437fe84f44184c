// Fuzz target: a model folder's tokenizer_config.json (added_tokens_decoder, special tokens, chat_template) with its
// tokenizer.json and generation_config.json, loaded as `prepare --model` does.
using MaskedSft.MLNet.Tokenizers;
using MaskedSft.MLNet.Tokenizers.Templates;

namespace MaskedSft.Tools.Fuzz.Targets;

/// <summary>tokenizer_config.json (+ generation_config.json) through <see cref="ModelFolderTokenizer.Load"/>.</summary>
public sealed class TokenizerConfigTarget : FuzzTarget
{
    /// <inheritdoc/>
    public override string Name => "tokenizer-config";

    /// <inheritdoc/>
    public override string Description => "model folder tokenizer_config.json + generation_config.json + config.json; ModelFolderTokenizer.Load, chat template recognition";

    /// <inheritdoc/>
    public override IReadOnlyList<(string File, FuzzFileKind Kind)> Files { get; } =
        [("tokenizer_config.json", FuzzFileKind.Json), ("tokenizer_config.json", FuzzFileKind.Json), ("generation_config.json", FuzzFileKind.Json)];

    /// <inheritdoc/>
    public override void WriteSeed(string folder)
    {
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json", "generation_config.json", "config.json" })
        {
            File.Copy(Path.Combine(FuzzFixtures.HfModel("qwen2"), file), Path.Combine(folder, file));
        }
    }

    /// <inheritdoc/>
    public override void Consume(string folder)
    {
        var tokenizer = ModelFolderTokenizer.Load(folder);
        if (tokenizer.ChatTemplate is not null) _ = tokenizer.RequireChatTemplate();
        _ = ModelFolderTokenizer.HasChatTemplate(folder);
        TokenizerJsonTarget.Exercise(tokenizer.Tokenizer);
    }

    /// <inheritdoc/>
    public override bool IsDocumented(Exception exception) => exception is TokenizerFormatException or ChatTemplateException;
}
