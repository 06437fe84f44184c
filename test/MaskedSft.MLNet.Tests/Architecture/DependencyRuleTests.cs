// The dependency rules between areas: the data layer knows nothing of libtorch; the product never depends on the testing kit.
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
