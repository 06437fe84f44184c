// Every kind of malformed safetensors file raises SafetensorsFormatException naming the file, the tensor and the problem.
using System.Buffers.Binary;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.MLNet.Tests.Safetensors;

[TestClass]
public sealed class SafetensorsCorruptionTests
{
    private const string Valid =
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[8,12]}}";

    private static SafetensorsFormatException OpenExpectingError(string path, string? tensor, string problemFragment)
    {
        var ex = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.AreEqual(Path.GetFullPath(path), ex.FilePath);
        StringAssert.Contains(ex.Message, Path.GetFileName(path), "the message names the file");
        Assert.AreEqual(tensor, ex.TensorName, ex.Message);
        if (tensor is not null)
        {
            StringAssert.Contains(ex.Message, $"'{tensor}'", "the message names the tensor");
        }

        StringAssert.Contains(ex.Problem, problemFragment, ex.Message);
        Assert.IsFalse(string.IsNullOrWhiteSpace(ex.Hint));
        StringAssert.Contains(ex.Message, "Hint:");
        return ex;
    }

    private static string Make(TempDirectory dir, string name, string header, int dataLength, ulong? declared = null)
    {
        var path = dir.File(name);
        RawSafetensors.Write(path, header, RawSafetensors.Counting(dataLength), declared);
        return path;
    }

    [TestMethod]
    public void Open_HandMadeValidFile_Succeeds()
    {
        using var dir = new TempDirectory();
        using var file = SafetensorsFile.Open(Make(dir, "valid.safetensors", Valid, 12));
        Assert.HasCount(2, file.Tensors);
        CollectionAssert.AreEqual(new byte[] { 8, 9, 10, 11 }, file.ReadBytes("b"));
    }

    [TestMethod]
    public void Open_FileShorterThanPrefix_Throws()
    {
        using var dir = new TempDirectory();
        var empty = dir.File("empty.safetensors");
        File.WriteAllBytes(empty, []);
        OpenExpectingError(empty, null, "fewer than the 8-byte");
        var five = dir.File("five.safetensors");
        File.WriteAllBytes(five, [1, 2, 3, 4, 5]);
        OpenExpectingError(five, null, "fewer than the 8-byte");
    }

    [TestMethod]
    public void Open_HeaderLengthOverLimit_Throws()
    {
        using var dir = new TempDirectory();
        OpenExpectingError(Make(dir, "huge.safetensors", Valid, 12, declared: 100_000_001), null, "exceeds");
        OpenExpectingError(Make(dir, "max.safetensors", Valid, 12, declared: ulong.MaxValue), null, "exceeds");
    }

    [TestMethod]
    public void Open_HeaderLengthPastEndOfFile_Throws()
    {
        using var dir = new TempDirectory();
        var path = Make(dir, "pastend.safetensors", Valid, 12, declared: (ulong)Valid.Length + 13);
        OpenExpectingError(path, null, "runs past the end of the file");
    }

    [TestMethod]
    public void Open_HeaderLengthZero_Throws()
    {
        using var dir = new TempDirectory();
        OpenExpectingError(Make(dir, "zero.safetensors", Valid, 12, declared: 0), null, "header length is 0");
    }

    [TestMethod]
    public void Open_HeaderLengthTooShort_ThrowsInvalidJson()
    {
        using var dir = new TempDirectory();
        OpenExpectingError(Make(dir, "cut.safetensors", Valid, 12, declared: (ulong)Valid.Length - 3), null, "not valid JSON");
    }

    [TestMethod]
    public void Open_BadJson_Throws()
    {
        using var dir = new TempDirectory();
        OpenExpectingError(Make(dir, "badjson.safetensors", "{\"a\":{\"dtype\":\"F32\",", 0), null, "not valid JSON");
        OpenExpectingError(Make(dir, "nuls.safetensors", "{}\0\0\0\0\0\0", 0), null, "not valid JSON");
        OpenExpectingError(Make(dir, "array.safetensors", "[1,2,3]", 0), null, "not an object");
    }

    [TestMethod]
    public void Open_UnknownDType_ThrowsNamingTensorAndDType()
    {
        using var dir = new TempDirectory();
        var ex = OpenExpectingError(Make(dir, "dtype.safetensors", Valid.Replace("\"U8\"", "\"F4\""), 12), "b", "unknown dtype \"F4\"");
        StringAssert.Contains(ex.Hint, "BF16");
        OpenExpectingError(Make(dir, "lower.safetensors", Valid.Replace("\"F32\"", "\"f32\""), 12), "a", "unknown dtype");
        OpenExpectingError(Make(dir, "nodtype.safetensors", Valid.Replace("\"dtype\":\"F32\",", ""), 12), "a", "no string \"dtype\"");
    }

    [TestMethod]
    public void Open_TruncatedData_ThrowsOffsetsPastEnd()
    {
        using var dir = new TempDirectory();
        OpenExpectingError(Make(dir, "truncated.safetensors", Valid, 10), "b", "run past the end of the data section (10 bytes)");
    }

    [TestMethod]
    public void Open_TruncatedWrittenFile_ThrowsOffsetsPastEnd()
    {
        using var dir = new TempDirectory();
        var path = dir.File("cut.safetensors");
        new SafetensorsWriter()
            .Add("big", SafetensorsDType.F32, [100], new byte[400])
            .Add("small", SafetensorsDType.U8, [3], [1, 2, 3])
            .Save(path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^50]);
        OpenExpectingError(path, "big", "run past the end of the data section (353 bytes)");
    }

    [TestMethod]
    public void Open_OffsetsPastEnd_Throws()
    {
        using var dir = new TempDirectory();
        var header = Valid.Replace("[8,12]", "[8,4000]").Replace("\"shape\":[4]", "\"shape\":[3992]");
        OpenExpectingError(Make(dir, "offsets.safetensors", header, 12), "b", "run past the end");
    }

    [TestMethod]
    public void Open_OverlappingOffsets_ThrowsNamingBothTensors()
    {
        using var dir = new TempDirectory();
        var header = Valid.Replace("[8,12]", "[6,10]");
        var ex = OpenExpectingError(Make(dir, "overlap.safetensors", header, 10), "b", "overlap tensor 'a'");
        StringAssert.Contains(ex.Problem, "[0, 8]");
    }

    [TestMethod]
    public void Open_GapBetweenTensors_Throws()
    {
        using var dir = new TempDirectory();
        var header = Valid.Replace("[8,12]", "[9,13]");
        OpenExpectingError(Make(dir, "gap.safetensors", header, 13), "b", "unassigned");
    }

    [TestMethod]
    public void Open_FirstTensorNotAtZero_Throws()
    {
        using var dir = new TempDirectory();
        var header = "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}";
        OpenExpectingError(Make(dir, "start.safetensors", header, 4), "a", "[0, 2) of the data section unassigned");
    }

    [TestMethod]
    public void Open_TrailingBytesAfterLastTensor_Throws()
    {
        using var dir = new TempDirectory();
        OpenExpectingError(Make(dir, "trailing.safetensors", Valid, 20), null, "cover 12 bytes but the data section has 20");
    }

    [TestMethod]
    public void Open_ShapeDisagreesWithOffsets_Throws()
    {
        using var dir = new TempDirectory();
        var header = Valid.Replace("\"shape\":[2]", "\"shape\":[3]");
        OpenExpectingError(Make(dir, "shape.safetensors", header, 12), "a", "needs 12");
    }

    [TestMethod]
    public void Open_MalformedEntries_Throw()
    {
        using var dir = new TempDirectory();
        OpenExpectingError(Make(dir, "neg.safetensors", Valid.Replace("\"shape\":[2]", "\"shape\":[-2]"), 12), "a", "non-negative integer");
        OpenExpectingError(Make(dir, "frac.safetensors", Valid.Replace("\"shape\":[2]", "\"shape\":[2.5]"), 12), "a", "non-negative integer");
        OpenExpectingError(Make(dir, "three.safetensors", Valid.Replace("[0,8]", "[0,8,9]"), 12), "a", "3 values, expected 2");
        OpenExpectingError(Make(dir, "reversed.safetensors", Valid.Replace("[0,8]", "[8,0]"), 12), "a", "begin after end");
        OpenExpectingError(Make(dir, "noshape.safetensors", Valid.Replace("\"shape\":[2],", ""), 12), "a", "no \"shape\" array");
        OpenExpectingError(Make(dir, "notobj.safetensors", "{\"a\":5}", 0), "a", "not an object");
        OpenExpectingError(Make(dir, "overflow.safetensors",
            "{\"a\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", 0), "a", "overflows");
    }

    [TestMethod]
    public void Open_DuplicateTensorName_Throws()
    {
        using var dir = new TempDirectory();
        var header = "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}";
        OpenExpectingError(Make(dir, "dup.safetensors", header, 4), "a", "appears twice");
    }

    [TestMethod]
    public void Open_BadMetadata_Throws()
    {
        using var dir = new TempDirectory();
        var number = "{\"__metadata__\":{\"step\":5}," + Valid[1..];
        OpenExpectingError(Make(dir, "meta.safetensors", number, 12), null, "metadata key 'step'");
        var list = "{\"__metadata__\":[1]," + Valid[1..];
        OpenExpectingError(Make(dir, "metalist.safetensors", list, 12), null, "not an object");
    }

    [TestMethod]
    public void Open_NullMetadata_IsAcceptedAsEmpty()
    {
        using var dir = new TempDirectory();
        using var file = SafetensorsFile.Open(Make(dir, "nullmeta.safetensors", "{\"__metadata__\":null," + Valid[1..], 12));
        Assert.IsEmpty(file.Metadata);
    }

    [TestMethod]
    public void Open_RandomBitFlipsInPrefixAndHeader_RaiseOnlyFormatExceptions()
    {
        using var dir = new TempDirectory();
        var path = dir.File("flip.safetensors");
        new SafetensorsWriter().Add("t", SafetensorsDType.F32, [4], new byte[16]).SetMetadata("k", "v").Save(path);
        var original = File.ReadAllBytes(path);
        var rng = new Random(3);
        for (int trial = 0; trial < 2000; trial++)
        {
            var bytes = (byte[])original.Clone();
            int index = rng.Next(8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(original));
            bytes[index] ^= (byte)(1 << rng.Next(8));
            File.WriteAllBytes(path, bytes);
            try
            {
                using var file = SafetensorsFile.Open(path);
                foreach (var t in file.Tensors)
                {
                    _ = file.ReadBytes(t.Name);
                }
            }
            catch (SafetensorsFormatException ex)
            {
                StringAssert.Contains(ex.Message, "flip.safetensors");
            }
        }
    }
}
