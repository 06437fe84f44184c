// A small real model for testing training infrastructure: real parameters and gradients, per-sample losses shaped by content.
using MaskedSft.MLNet.Data;
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;

namespace MaskedSft.Testing.Mock;

/// <summary>
/// A tiny action-token predictor with real parameters (about 70k: state, image and prompt encoders, positions and an
/// output head; hidden size 128), so optimizers, gradient norms and checkpoints are real. Each sample's loss is
/// <c>difficulty × masked mean cross-entropy / ln(V)</c>: at initialization the cross-entropy is close to ln V, so losses
/// start near the content-derived difficulty (0.5-2.0 for most samples, 3.0-10.0 for about 12.5%) and fall as the model
/// learns, while hard samples stay hard. Deterministic for a seed and a batch.
/// </summary>
public sealed class MockLossModel : Module<MockEpisodeTensors, MockLossOutput>
{
    /// <summary>Hidden size.</summary>
    public const int HiddenSize = 128;

    /// <summary>Fraction of samples with a high difficulty.</summary>
    public const double HighFraction = 0.125;

    private readonly Linear _state;
    private readonly Linear _image;
    private readonly Embedding _prompt;
    private readonly Parameter _positions;
    private readonly Linear _head;

    /// <summary>Creates the model for batches shaped by <paramref name="data"/>.</summary>
    /// <param name="data">The episode source's options (state length, action length).</param>
    /// <param name="seed">Initialization seed.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="data"/> is null.</exception>
    public MockLossModel(MockEpisodeSourceOptions data, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var generator = Generator.Create(seed);
        _state = RegisterModule("state_proj", new Linear(data.StateDim, HiddenSize, generator: generator));
        _image = RegisterModule("image_proj", new Linear(3, HiddenSize, generator: generator));
        _prompt = RegisterModule("prompt_embed", new Embedding(MockTokenizer.VocabSize, HiddenSize, paddingIndex: MockTokenizer.PadId, generator: generator));
        using (var init = TorchOps.Randn([data.ActionLength, HiddenSize], generator))
        using (var scaled = init.Mul(0.02))
        {
            _positions = RegisterParameter("positions", new Parameter(scaled));
        }

        _head = RegisterModule("head", new Linear(HiddenSize, MockTokenizer.VocabSize, generator: generator));
    }

    /// <summary>
    /// The difficulty of sample <paramref name="i"/>, a pure function of its content (prompt tokens, action tokens, state):
    /// an FNV-1a hash picks high (3.0-10.0) with probability <see cref="HighFraction"/>, else base (0.5-2.0).
    /// </summary>
    /// <param name="batch">The batch.</param>
    /// <param name="i">Sample index.</param>
    /// <returns>The difficulty.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="batch"/> is null.</exception>
    public static double ContentDifficulty(MockEpisodeBatch batch, int i)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ulong hash = 14695981039346656037UL;
        void Mix(int value)
        {
            for (int shift = 0; shift < 32; shift += 8)
            {
                hash = (hash ^ (byte)(value >> shift)) * 1099511628211UL;
            }
        }

        foreach (var t in batch.PromptTokens.AsSpan(i * batch.PromptLength, batch.PromptLength))
        {
            Mix(t);
        }

        foreach (var t in batch.ActionTokens.AsSpan(i * batch.ActionLength, batch.ActionLength))
        {
            Mix(t);
        }

        foreach (var s in batch.State.AsSpan(i * batch.StateDim, batch.StateDim))
        {
            Mix(BitConverter.SingleToInt32Bits(s));
        }

        var g = new SplitMix64(hash);
        return g.NextDouble() < HighFraction ? 3.0 + (7.0 * g.NextDouble()) : 0.5 + (1.5 * g.NextDouble());
    }

    /// <summary>Computes the losses of a batch.</summary>
    /// <param name="input">The batch's tensors.</param>
    /// <returns>Loss, per-sample losses and token accuracy (new tensors; use a DisposeScope).</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="input"/> is null.</exception>
    public override MockLossOutput Forward(MockEpisodeTensors input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var batch = input.Batch;
        long b = batch.BatchSize, ta = batch.ActionLength;
        var state = _state.Forward(input.State);                                                  // (B, H)
        var pixels = input.Images.To(ScalarType.Float32).Mean([1, 2]).Div(255.0);                 // (B, 3)
        var image = _image.Forward(pixels);                                                       // (B, H)
        var promptMask = input.PromptMask.To(ScalarType.Float32).Unsqueeze(-1);                   // (B, Tp, 1)
        var prompt = _prompt.Forward(input.PromptTokens).Mul(promptMask).Sum(1)
            .Div(promptMask.Sum(1).ClampMin(1.0));                                                // (B, H)
        var hidden = state.Add(image).Add(prompt).Gelu();                                         // (B, H)
        var perPosition = hidden.Unsqueeze(1).Add(_positions).Gelu();                             // (B, Ta, H)
        var logits = _head.Forward(perPosition);                                                  // (B, Ta, V)
        var targets = input.ActionTokens.MaskedFill(input.ActionMask.LogicalNot(), -100L);        // (B, Ta)
        var tokenLoss = TorchOps.CrossEntropy(logits.Reshape(b * ta, MockTokenizer.VocabSize), targets.Reshape(b * ta), Reduction.None)
            .Reshape(b, ta);                                                                      // (B, Ta)
        var mask = input.ActionMask.To(ScalarType.Float32);                                       // (B, Ta)
        var sampleCe = tokenLoss.Mul(mask).Sum(1).Div(mask.Sum(1).ClampMin(1.0));                // (B)
        var perSample = sampleCe.Mul(input.Difficulty).Div(Math.Log(MockTokenizer.VocabSize));  // (B)
        var loss = perSample.Mean();                                                              // ()
        Tensor accuracy, correctTokens, supervised;
        using (new NoGradScope())
        {
            var correct = logits.Argmax(-1).Eq(input.ActionTokens).LogicalAnd(input.ActionMask);  // (B, Ta)
            correctTokens = correct.To(ScalarType.Float32).Sum();                                 // ()
            accuracy = correctTokens.Div(mask.Sum().ClampMin(1.0));                               // ()
            supervised = mask.Sum(1);                                                             // (B)
        }

        return new MockLossOutput(loss, perSample, accuracy, correctTokens, supervised);
    }
}
