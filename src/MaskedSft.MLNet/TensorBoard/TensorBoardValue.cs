// One summary value of an event: a scalar, a text (the text plugin's string tensor) or an encoded image.
namespace MaskedSft.MLNet.TensorBoard;

/// <summary>A value of an event's summary (tensorflow's <c>Summary.Value</c>): exactly one of <see cref="Scalar"/>,
/// <see cref="Text"/> and <see cref="Image"/> is set.</summary>
/// <param name="Tag">The series name (e.g. <c>train/loss</c>).</param>
/// <param name="Scalar">A scalar (<c>simple_value</c>, a 32-bit float as TensorBoard stores it).</param>
/// <param name="Text">A text (a string tensor with the <c>text</c> plugin's metadata; TensorBoard renders it as Markdown).</param>
/// <param name="Image">An encoded image (<c>Summary.Image</c>).</param>
public sealed record TensorBoardValue(string Tag, float? Scalar = null, string? Text = null, TensorBoardImage? Image = null);
