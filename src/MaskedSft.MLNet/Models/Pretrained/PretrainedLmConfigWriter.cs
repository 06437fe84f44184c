// Writes a PretrainedLmConfig as config.json that transformers 4.x and 5.x both read (the two rope and dtype spellings).
using System.Text.Json;
using System.Text.Json.Nodes;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>Builds config.json: the fields of the file the config was read from, overwritten by the typed values.</summary>
internal static class PretrainedLmConfigWriter
{
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    public static string Write(PretrainedLmConfig c, ScalarType? dtype)
    {
        var o = c.Source?.DeepClone() as JsonObject ?? [];
        o["architectures"] = new JsonArray(JsonValue.Create(c.Architecture.ClassName()));
        o["model_type"] = c.Architecture.ModelType();
        o["vocab_size"] = c.VocabSize;
        o["hidden_size"] = c.HiddenSize;
        o["intermediate_size"] = c.IntermediateSize;
        o["num_hidden_layers"] = c.NumHiddenLayers;
        o["num_attention_heads"] = c.NumAttentionHeads;
        o["num_key_value_heads"] = c.NumKeyValueHeads;
        o["head_dim"] = c.HeadDim;
        o["hidden_act"] = "silu";
        o["rms_norm_eps"] = c.RmsNormEps;
        o["max_position_embeddings"] = c.MaxPositionEmbeddings;
        o["tie_word_embeddings"] = c.TieWordEmbeddings;
        o["initializer_range"] = c.InitializerRange;
        o["attention_dropout"] = 0.0;
        if (c.Architecture != PretrainedArchitecture.Qwen2) o["attention_bias"] = c.AttentionBias;
        if (c.Architecture == PretrainedArchitecture.Llama) o["mlp_bias"] = c.MlpBias;
        if (c.Architecture != PretrainedArchitecture.Llama) o["use_sliding_window"] = false;
        o["bos_token_id"] = c.BosTokenId;
        o[EndOfSequenceIds.Field] = ConfigJsonReader.IntOrIntListNode(c.EosTokenIds);
        o["pad_token_id"] = c.PadTokenId;
        o["use_cache"] = true;

        // transformers 4.x reads rope_theta + rope_scaling (null for the default rope); 5.x takes a non-empty rope_scaling
        // over rope_parameters and rope_theta from the top level, so the three fields agree for both.
        o["rope_theta"] = c.Rope.Theta;
        o["rope_scaling"] = c.Rope.Type == RopeType.Default ? null : RopeObject(c.Rope, withTheta: false);
        o["rope_parameters"] = RopeObject(c.Rope, withTheta: true);
        if (dtype is { } d)
        {
            o["torch_dtype"] = TorchDTypeNames.Name(d);
            o["dtype"] = TorchDTypeNames.Name(d);
        }

        return o.ToJsonString(s_indented);
    }

    private static JsonObject RopeObject(RopeParameters rope, bool withTheta)
    {
        var o = new JsonObject { ["rope_type"] = rope.TypeName };
        if (withTheta) o["rope_theta"] = rope.Theta;
        if (rope.Type != RopeType.Default) o["factor"] = rope.Factor;
        if (rope.Type == RopeType.Llama3)
        {
            o["low_freq_factor"] = rope.LowFreqFactor;
            o["high_freq_factor"] = rope.HighFreqFactor;
            o["original_max_position_embeddings"] = rope.OriginalMaxPositionEmbeddings;
        }

        return o;
    }
}
