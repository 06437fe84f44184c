// tensorflow's Event / Summary / Summary.Value / Summary.Image / TensorProto / SummaryMetadata / SessionLog, by field number.
using Google.Protobuf;

namespace MaskedSft.MLNet.TensorBoard;

/// <summary>
/// Encodes and decodes the protobuf messages of TensorBoard event files with Google.Protobuf's
/// <see cref="CodedOutputStream"/> / <see cref="CodedInputStream"/>, by field number (tensorflow/core/util/event.proto,
/// framework/summary.proto, tensor.proto, tensor_shape.proto): the handful of fields we write, unknown fields skipped on
/// reading. Text values are written as tf.summary.text does: a scalar string tensor (DT_STRING, shape []) with
/// <c>SummaryMetadata.plugin_data.plugin_name = "text"</c>.
/// </summary>
internal static class EventCodec
{
    /// <summary>The text plugin's name in <c>SummaryMetadata.plugin_data</c>.</summary>
    public const string TextPluginName = "text";

    private const int DtString = 7; // tensorflow.DataType.DT_STRING
    private const int SessionStart = 1; // tensorflow.SessionLog.START

    // Event
    private const int EventWallTime = 1, EventStep = 2, EventFileVersion = 3, EventSummary = 5, EventSessionLog = 6;
    // Summary / Summary.Value
    private const int SummaryValue = 1, ValueTag = 1, ValueSimple = 2, ValueImage = 4, ValueTensor = 8, ValueMetadata = 9;
    // Summary.Image
    private const int ImageHeight = 1, ImageWidth = 2, ImageColorspace = 3, ImageEncoded = 4;
    // TensorProto / TensorShapeProto / SummaryMetadata / PluginData / SessionLog
    private const int TensorDtype = 1, TensorShape = 2, TensorStringVal = 8;
    private const int MetadataPluginData = 1, PluginName = 1;
    private const int SessionLogStatus = 1;

    /// <summary>The event's protobuf bytes.</summary>
    public static byte[] Encode(TensorBoardEvent e)
    {
        return Message(o =>
        {
            o.WriteTag(EventWallTime, WireFormat.WireType.Fixed64);
            o.WriteDouble(e.WallTime);
            o.WriteTag(EventStep, WireFormat.WireType.Varint);
            o.WriteInt64(e.Step);
            if (e.FileVersion is { } version)
            {
                o.WriteTag(EventFileVersion, WireFormat.WireType.LengthDelimited);
                o.WriteString(version);
            }

            if (e.Values.Count > 0)
            {
                o.WriteTag(EventSummary, WireFormat.WireType.LengthDelimited);
                o.WriteBytes(Summary(e.Values));
            }

            if (e.IsSessionStart)
            {
                o.WriteTag(EventSessionLog, WireFormat.WireType.LengthDelimited);
                o.WriteBytes(Message(s =>
                {
                    s.WriteTag(SessionLogStatus, WireFormat.WireType.Varint);
                    s.WriteEnum(SessionStart);
                }));
            }
        }).ToByteArray();
    }

    /// <summary>Decodes an event record.</summary>
    /// <exception cref="InvalidDataException">The bytes are not an Event message; the message names <paramref name="source"/>.</exception>
    public static TensorBoardEvent Decode(byte[] data, string source)
    {
        try
        {
            return DecodeEvent(new CodedInputStream(data));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{source}: not a tensorflow Event message ({e.Message}).", e);
        }
    }

    private static ByteString Summary(IReadOnlyList<TensorBoardValue> values) => Message(o =>
    {
        foreach (var v in values)
        {
            o.WriteTag(SummaryValue, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(Value(v));
        }
    });

    private static ByteString Value(TensorBoardValue v) => Message(o =>
    {
        o.WriteTag(ValueTag, WireFormat.WireType.LengthDelimited);
        o.WriteString(v.Tag);
        if (v.Scalar is { } scalar)
        {
            o.WriteTag(ValueSimple, WireFormat.WireType.Fixed32);
            o.WriteFloat(scalar);
        }
        else if (v.Image is { } image)
        {
            o.WriteTag(ValueImage, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(Message(i =>
            {
                i.WriteTag(ImageHeight, WireFormat.WireType.Varint);
                i.WriteInt32(image.Height);
                i.WriteTag(ImageWidth, WireFormat.WireType.Varint);
                i.WriteInt32(image.Width);
                i.WriteTag(ImageColorspace, WireFormat.WireType.Varint);
                i.WriteInt32(image.Colorspace);
                i.WriteTag(ImageEncoded, WireFormat.WireType.LengthDelimited);
                i.WriteBytes(ByteString.CopyFrom(image.Encoded));
            }));
        }
        else if (v.Text is { } text)
        {
            o.WriteTag(ValueTensor, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(Message(t =>
            {
                t.WriteTag(TensorDtype, WireFormat.WireType.Varint);
                t.WriteEnum(DtString);
                t.WriteTag(TensorShape, WireFormat.WireType.LengthDelimited);
                t.WriteBytes(ByteString.Empty); // shape [] (a scalar string)
                t.WriteTag(TensorStringVal, WireFormat.WireType.LengthDelimited);
                t.WriteBytes(ByteString.CopyFromUtf8(text));
            }));
            o.WriteTag(ValueMetadata, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(Message(m =>
            {
                m.WriteTag(MetadataPluginData, WireFormat.WireType.LengthDelimited);
                m.WriteBytes(Message(p =>
                {
                    p.WriteTag(PluginName, WireFormat.WireType.LengthDelimited);
                    p.WriteString(TextPluginName);
                }));
            }));
        }
        else
        {
            throw new ArgumentException($"summary value '{v.Tag}' has no scalar, text or image.", nameof(v));
        }
    });

    private static ByteString Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        using (var o = new CodedOutputStream(buffer, leaveOpen: true))
        {
            write(o);
            o.Flush();
        }

        return ByteString.CopyFrom(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static TensorBoardEvent DecodeEvent(CodedInputStream input)
    {
        double wallTime = 0;
        long step = 0;
        string? version = null;
        var values = new List<TensorBoardValue>();
        var sessionStart = false;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case EventWallTime when WireFormat.GetTagWireType(tag) == WireFormat.WireType.Fixed64: wallTime = input.ReadDouble(); break;
                case EventStep when WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint: step = input.ReadInt64(); break;
                case EventFileVersion when IsLength(tag): version = input.ReadString(); break;
                case EventSummary when IsLength(tag): DecodeSummary(Nested(input), values); break;
                case EventSessionLog when IsLength(tag): sessionStart = DecodeSessionStart(Nested(input)); break;
                default: input.SkipLastField(); break;
            }
        }

        return new TensorBoardEvent(wallTime, step, values, version, sessionStart);
    }

    private static void DecodeSummary(CodedInputStream input, List<TensorBoardValue> values)
    {
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == SummaryValue && IsLength(tag)) values.Add(DecodeValue(Nested(input)));
            else input.SkipLastField();
        }
    }

    private static TensorBoardValue DecodeValue(CodedInputStream input)
    {
        var name = string.Empty;
        float? scalar = null;
        TensorBoardImage? image = null;
        string? tensorText = null;
        string? plugin = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case ValueTag when IsLength(tag): name = input.ReadString(); break;
                case ValueSimple when WireFormat.GetTagWireType(tag) == WireFormat.WireType.Fixed32: scalar = input.ReadFloat(); break;
                case ValueImage when IsLength(tag): image = DecodeImage(Nested(input)); break;
                case ValueTensor when IsLength(tag): tensorText = DecodeStringTensor(Nested(input)); break;
                case ValueMetadata when IsLength(tag): plugin = DecodePluginName(Nested(input)); break;
                default: input.SkipLastField(); break;
            }
        }

        var text = plugin == TextPluginName ? tensorText : null;
        return new TensorBoardValue(name, scalar, text, image);
    }

    private static TensorBoardImage DecodeImage(CodedInputStream input)
    {
        int height = 0, width = 0, colorspace = 0;
        var encoded = Array.Empty<byte>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case ImageHeight: height = input.ReadInt32(); break;
                case ImageWidth: width = input.ReadInt32(); break;
                case ImageColorspace: colorspace = input.ReadInt32(); break;
                case ImageEncoded when IsLength(tag): encoded = input.ReadBytes().ToByteArray(); break;
                default: input.SkipLastField(); break;
            }
        }

        return new TensorBoardImage(height, width, colorspace, encoded);
    }

    private static string? DecodeStringTensor(CodedInputStream input)
    {
        string? text = null;
        var dtype = 0;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case TensorDtype: dtype = input.ReadEnum(); break;
                case TensorStringVal when IsLength(tag): text ??= input.ReadBytes().ToStringUtf8(); break;
                default: input.SkipLastField(); break;
            }
        }

        return dtype == DtString ? text : null;
    }

    private static string? DecodePluginName(CodedInputStream input)
    {
        string? name = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == MetadataPluginData && IsLength(tag))
            {
                var plugin = Nested(input);
                uint inner;
                while ((inner = plugin.ReadTag()) != 0)
                {
                    if (WireFormat.GetTagFieldNumber(inner) == PluginName && IsLength(inner)) name = plugin.ReadString();
                    else plugin.SkipLastField();
                }
            }
            else
            {
                input.SkipLastField();
            }
        }

        return name;
    }

    private static bool DecodeSessionStart(CodedInputStream input)
    {
        var start = false;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == SessionLogStatus && WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint) start = input.ReadEnum() == SessionStart;
            else input.SkipLastField();
        }

        return start;
    }

    private static bool IsLength(uint tag) => WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited;

    private static CodedInputStream Nested(CodedInputStream input) => new(input.ReadBytes().ToByteArray());
}
