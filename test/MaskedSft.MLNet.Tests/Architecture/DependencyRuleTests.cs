// The dependency rules between areas: the data layer knows nothing of libtorch; the product never depends on the testing
// kit; the product's areas form no import circle (docs/architecture.md).
using System.Reflection;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Tests.Tokenizers;

namespace MaskedSft.MLNet.Tests.Architecture;

[TestClass]
public sealed class DependencyRuleTests
{
    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    [TestMethod]
    public void DataNamespace_NoTypeMentionsTheTensorBindings()
    {
        var torch = typeof(MaskedSft.Torch.Tensor).Assembly;
        var data = typeof(EpisodeBatch).Assembly.GetTypes().Where(t => t.Namespace == typeof(EpisodeBatch).Namespace).ToList();
        Assert.IsGreaterThan(10, data.Count, "fixture: the data namespace was found");
        var offenders = new List<string>();
        foreach (var type in data)
        {
            foreach (var used in Signatures(type).Where(u => u.Type.Assembly == torch))
            {
                offenders.Add($"{type.FullName}.{used.Member} uses {used.Type.FullName}");
            }
        }

        Assert.IsEmpty(offenders, string.Join("\n", offenders));
    }

    [TestMethod]
    public void DataSources_NeverImportTheTensorBindings()
    {
        var folder = Path.Combine(TestTokenizers.RepoRoot, "src", "MaskedSft.MLNet", "Data");
        var offenders = Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(f => File.ReadAllText(f).Contains("MaskedSft.Torch", StringComparison.Ordinal))
            .Select(Path.GetFileName)
            .ToList();

        Assert.IsEmpty(offenders, "turning batches into tensors belongs to the training side (Training/BatchTensors): " + string.Join(", ", offenders));
    }

    [TestMethod]
    public void ProductAssemblies_NeverReferenceTheTestingKit()
    {
        foreach (var product in new[] { typeof(EpisodeBatch).Assembly, typeof(MaskedSft.Torch.Tensor).Assembly })
        {
            var references = product.GetReferencedAssemblies().Select(a => a.Name).ToList();
            Assert.DoesNotContain("MaskedSft.Testing", references, $"{product.GetName().Name} references the testing kit");
        }
    }

    [TestMethod]
    public void ProductAreas_FormNoImportCircle()
    {
        // Area = the namespace segment after MaskedSft.MLNet (Models.Pretrained belongs to Models). An edge a -> b means a
        // type of area a mentions a type of area b in its declaration or in a method's locals.
        var product = typeof(EpisodeBatch).Assembly;
        static string? AreaOf(Type t)
        {
            var ns = t.Namespace ?? "";
            const string root = "MaskedSft.MLNet.";
            return ns.StartsWith(root, StringComparison.Ordinal) ? ns[root.Length..].Split('.')[0] : null;
        }

        var edges = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var type in product.GetTypes())
        {
            if (AreaOf(type) is not { } from) continue;
            if (!edges.TryGetValue(from, out var targets)) edges[from] = targets = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (_, used) in Signatures(type))
            {
                if (used.Assembly == product && AreaOf(used) is { } to && to != from) targets.Add(to);
            }
        }

        Assert.IsGreaterThan(6, edges.Count, "fixture: the product's areas were found");
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 = on the current path, 2 = done
        var path = new List<string>();
        string? Cycle(string area)
        {
            state[area] = 1;
            path.Add(area);
            foreach (var next in edges.GetValueOrDefault(area) ?? [])
            {
                if (state.GetValueOrDefault(next) == 1) return string.Join(" -> ", path.SkipWhile(a => a != next).Append(next));
                if (state.GetValueOrDefault(next) == 0 && Cycle(next) is { } found) return found;
            }

            path.RemoveAt(path.Count - 1);
            state[area] = 2;
            return null;
        }

        foreach (var area in edges.Keys.Order(StringComparer.Ordinal))
        {
            if (state.GetValueOrDefault(area) != 0) continue;
            var cycle = Cycle(area);
            Assert.IsNull(cycle, $"import circle between areas of MaskedSft.MLNet: {cycle} (docs/architecture.md lists what may use what)");
        }
    }

    /// <summary>Every type a type's declaration mentions: base, interfaces, fields, properties, events, method and constructor
    /// signatures (generic arguments and array elements unwrapped).</summary>
    private static IEnumerable<(string Member, Type Type)> Signatures(Type type)
    {
        IEnumerable<Type> Unwrap(Type t)
        {
            if (t.HasElementType) return Unwrap(t.GetElementType()!);
            return t.IsGenericType ? t.GetGenericArguments().SelectMany(Unwrap).Prepend(t.GetGenericTypeDefinition()) : [t];
        }

        if (type.BaseType is { } b) foreach (var t in Unwrap(b)) yield return ("(base)", t);
        foreach (var i in type.GetInterfaces()) foreach (var t in Unwrap(i)) yield return ("(interface)", t);
        foreach (var f in type.GetFields(All)) foreach (var t in Unwrap(f.FieldType)) yield return (f.Name, t);
        foreach (var p in type.GetProperties(All)) foreach (var t in Unwrap(p.PropertyType)) yield return (p.Name, t);
        foreach (var m in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            var types = m.GetParameters().Select(p => p.ParameterType);
            if (m is MethodInfo info) types = types.Append(info.ReturnType);
            foreach (var t in types.SelectMany(Unwrap)) yield return (m.Name, t);
            foreach (var local in m.GetMethodBody()?.LocalVariables ?? []) foreach (var t in Unwrap(local.LocalType)) yield return (m.Name + " (local)", t);
        }
    }
}
