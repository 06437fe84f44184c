// The reasons a line of a chat or Atropos JSONL file is refused by the preparation.
namespace MaskedSft.MLNet.Tokenizers.Preparation;

/// <summary>Why a JSONL line cannot become episodes.</summary>
public enum PreparationErrorKind
{
    /// <summary>The line is not valid JSON.</summary>
    InvalidJson,

    /// <summary>A field has the wrong JSON type (e.g. content is a number, messages is not an array).</summary>
    WrongType,

    /// <summary>A required field is missing or null (messages, role, content, tokens, masks...).</summary>
    MissingField,

    /// <summary>A message has a role the chat template does not know.</summary>
    UnknownRole,

    /// <summary>A value is out of range or inconsistent (token id outside the vocabulary, mask not -100 or the token, lengths differ).</summary>
    InvalidValue,
}
