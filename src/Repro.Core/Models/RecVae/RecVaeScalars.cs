using TorchSharp;

namespace Repro.Core.Models.RecVae;

/// <summary>
/// The constant Scalars of RecVAE's libtorch arithmetic, held for the process's life. An implicitly
/// converted Scalar (the 0.5 of 0.5 * t, the 1 that a + b and TorchSharp's own add(Scalar) create) can
/// be finalised by the garbage collector while libtorch still reads it, which failed intermittently
/// ("toFloat", "Unknown scalar type"); every add here names its alpha, and squares are pow(Two):
/// TorchSharp's square() is pow(2) with an implicit Scalar.
/// </summary>
internal static class RecVaeScalars
{
    public static readonly Scalar One = 1.0.ToScalar();
    public static readonly Scalar MinusOne = (-1.0).ToScalar();
    public static readonly Scalar Half = 0.5.ToScalar();
    public static readonly Scalar MinusHalf = (-0.5).ToScalar();
    public static readonly Scalar Two = 2.0.ToScalar();
    public static readonly Scalar Log2Pi = Math.Log(2 * Math.PI).ToScalar();
}
