// Test model with Hugging Face Llama/Qwen2 module names (model.layers.N.self_attn.q_proj, mlp.gate_proj, lm_head), built
// from MaskedSft.Torch.Nn modules and knowing nothing about LoRA: what LoRA must adapt by name.
using MaskedSft.MLNet.Models;
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;

namespace MaskedSft.MLNet.Tests.Models.Lora;

/// <summary>A tiny decoder: embeddings, pre-RMSNorm blocks of causal grouped-query attention (no RoPE) and a SwiGLU MLP,
/// a final norm and an untied lm_head. Parameter names are those of LlamaForCausalLM.</summary>
internal sealed class TinyHfLm : Module
{
    private readonly Embedding _embed;
    private readonly Block[] _layers;
    private readonly RMSNorm _norm;
    private readonly Linear _head;

    public TinyHfLm(int vocab = 32, int hidden = 16, int layers = 2, int heads = 4, int kvHeads = 2, int intermediate = 24, bool qkvBias = true, ulong seed = 7)
    {
        Vocab = vocab;
        using var g = Generator.Create(seed);
        var model = RegisterModule("model", new ModuleContainer());
        _embed = model.Add("embed_tokens", new Embedding(vocab, hidden, generator: g));
        var list = model.Add("layers", new ModuleContainer());
        _layers = Enumerable.Range(0, layers).Select(i => list.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture), new Block(hidden, heads, kvHeads, intermediate, qkvBias, g))).ToArray();
        _norm = model.Add("norm", new RMSNorm(hidden));
        _head = RegisterModule("lm_head", new Linear(hidden, vocab, hasBias: false, g));
        using var scope = new DisposeScope();
        using var noGrad = new NoGradScope();
        foreach (var (name, p) in NamedParameters().Where(p => p.Name.Contains("norm", StringComparison.Ordinal)))
        {
            p.CopyFrom(TorchOps.Rand(p.Shape, g).Add(0.5));   // norms that matter (not all ones)
        }
    }

    public int Vocab { get; }

    /// <summary>(B, T) ids -&gt; (B, T, V) logits.</summary>
    public Tensor Forward(Tensor ids)
    {
        var x = _embed.Forward(ids);                                                   // (B, T, C)
        var t = ids.Size(1);
        var causal = TorchOps.Ones([t, t], ScalarType.Bool).Triu(1);                  // (T, T)
        foreach (var block in _layers) x = block.Forward(x, causal);
        return _head.Forward(_norm.Forward(x));                                        // (B, T, V)
    }

    private sealed class Block : Module
    {
        private readonly RMSNorm _inputNorm;
        private readonly Attention _attn;
        private readonly RMSNorm _postNorm;
        private readonly Mlp _mlp;

        public Block(int hidden, int heads, int kvHeads, int intermediate, bool qkvBias, Generator g)
        {
            _inputNorm = RegisterModule("input_layernorm", new RMSNorm(hidden));
            _attn = RegisterModule("self_attn", new Attention(hidden, heads, kvHeads, qkvBias, g));
            _postNorm = RegisterModule("post_attention_layernorm", new RMSNorm(hidden));
            _mlp = RegisterModule("mlp", new Mlp(hidden, intermediate, g));
        }

        public Tensor Forward(Tensor x, Tensor causal)
        {
            x = x.Add(_attn.Forward(_inputNorm.Forward(x), causal));
            return x.Add(_mlp.Forward(_postNorm.Forward(x)));
        }
    }

    private sealed class Attention : Module
    {
        private readonly int _heads;
        private readonly int _kvHeads;
        private readonly int _headDim;
        private readonly Linear _q;
        private readonly Linear _k;
        private readonly Linear _v;
        private readonly Linear _o;

        public Attention(int hidden, int heads, int kvHeads, bool qkvBias, Generator g)
        {
            _heads = heads;
            _kvHeads = kvHeads;
            _headDim = hidden / heads;
            _q = RegisterModule("q_proj", new Linear(hidden, heads * _headDim, qkvBias, g));
            _k = RegisterModule("k_proj", new Linear(hidden, kvHeads * _headDim, qkvBias, g));
            _v = RegisterModule("v_proj", new Linear(hidden, kvHeads * _headDim, qkvBias, g));
            _o = RegisterModule("o_proj", new Linear(heads * _headDim, hidden, hasBias: false, g));
        }

        public Tensor Forward(Tensor x, Tensor causal)
        {
            long b = x.Size(0), t = x.Size(1), d = _headDim, rep = _heads / _kvHeads;
            var q = _q.Forward(x).View(b, t, _heads, d).Transpose(1, 2);                                     // (B, H, T, d)
            var k = _k.Forward(x).View(b, t, _kvHeads, 1, d).Expand(b, t, _kvHeads, rep, d).Reshape(b, t, _heads, d).Transpose(1, 2);
            var v = _v.Forward(x).View(b, t, _kvHeads, 1, d).Expand(b, t, _kvHeads, rep, d).Reshape(b, t, _heads, d).Transpose(1, 2);
            var att = q.Matmul(k.Transpose(-2, -1)).Mul(1.0 / Math.Sqrt(d)).MaskedFill(causal, double.NegativeInfinity).Softmax(-1);
            return _o.Forward(att.Matmul(v).Transpose(1, 2).Reshape(b, t, _heads * d));                     // (B, T, C)
        }
    }

    private sealed class Mlp : Module
    {
        private readonly Linear _gate;
        private readonly Linear _up;
        private readonly Linear _down;

        public Mlp(int hidden, int intermediate, Generator g)
        {
            _gate = RegisterModule("gate_proj", new Linear(hidden, intermediate, hasBias: false, g));
            _up = RegisterModule("up_proj", new Linear(hidden, intermediate, hasBias: false, g));
            _down = RegisterModule("down_proj", new Linear(intermediate, hidden, hasBias: false, g));
        }

        public Tensor Forward(Tensor x)
        {
            var gate = _gate.Forward(x);
            return _down.Forward(gate.Mul(gate.Sigmoid()).Mul(_up.Forward(x)));                             // SiLU(gate) * up
        }
    }
}
