// The parameter shapes of GPT-2 124M (tied embeddings), in the order a model lists them: the gradient set to reduce.
namespace MaskedSft.Bench.AllReduce;

/// <summary>GPT-2 124M parameter shapes (12 layers, width 768, vocabulary 50257, context 1024): 124,439,808 values.</summary>
internal static class Gpt2Gradients
{
    /// <summary>Every parameter's shape, embeddings first, then the 12 blocks, then the final layer norm.</summary>
    public static IReadOnlyList<long[]> Shapes()
    {
        const long d = 768;
        var shapes = new List<long[]> { new[] { 50257L, d }, new[] { 1024L, d } };
        for (var layer = 0; layer < 12; layer++)
        {
            shapes.AddRange(
            [
                [d], [d], [d, 3 * d], [3 * d], [d, d], [d],   // ln_1, attn.c_attn, attn.c_proj
                [d], [d], [d, 4 * d], [4 * d], [4 * d, d], [d], // ln_2, mlp.c_fc, mlp.c_proj
            ]);
        }

        shapes.AddRange([[d], [d]]); // ln_f
        return shapes;
    }
}
