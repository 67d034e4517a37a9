using SkiaSharp;

namespace Crm.Core.Files;

/// <summary>What an image is: its size in pixels, and a thumbnail (WebP) when one could be made.</summary>
public sealed record ImageInfo(int Width, int Height, byte[]? Thumbnail);

/// <summary>
/// Image sizes and thumbnails with SkiaSharp (MIT; native assets without system dependencies on Linux). The header is
/// read first (<see cref="SKCodec"/>) and an image beyond <see cref="FileStorageOptions.MaxImagePixels"/> is refused before
/// any pixel is decoded, so a small file that claims a huge picture (a decompression bomb) costs nothing. Large
/// images decode at a reduced scale where the codec supports it (JPEG), then scale down to the thumbnail.
/// </summary>
public static class Thumbnails
{
    /// <summary>Null when the bytes do not decode as an image; <see cref="ImageTooLargeException"/> beyond the pixel limit.</summary>
    public static ImageInfo? Read(Stream content, long maxPixels, int thumbnailSize)
    {
        content.Position = 0;
        using var data = SKData.Create(content);
        content.Position = 0;
        if (data is null) return null;
        using var codec = SKCodec.Create(data);
        if (codec is null) return null;
        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0) return null;
        if ((long)info.Width * info.Height > maxPixels) throw new ImageTooLargeException(info.Width, info.Height);
        var scale = Math.Min(1f, (float)thumbnailSize / Math.Max(info.Width, info.Height));
        var target = new SKImageInfo(Math.Max(1, (int)Math.Round(info.Width * scale)), Math.Max(1, (int)Math.Round(info.Height * scale)), SKColorType.Rgba8888, SKAlphaType.Premul);
        // Decode at the smallest size the codec offers that is still at least the thumbnail (JPEG: 1/2, 1/4, 1/8).
        var decodeSize = codec.GetScaledDimensions(Math.Max(scale, 0.125f));
        if (decodeSize.Width < target.Width || decodeSize.Height < target.Height) decodeSize = info.Size;
        using var decoded = new SKBitmap(new SKImageInfo(decodeSize.Width, decodeSize.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var result = codec.GetPixels(decoded.Info, decoded.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput)) return new ImageInfo(info.Width, info.Height, null);
        using var thumb = decoded.Resize(target, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        if (thumb is null) return new ImageInfo(info.Width, info.Height, null);
        using var image = SKImage.FromBitmap(thumb);
        using var encoded = image.Encode(SKEncodedImageFormat.Webp, 80);
        return new ImageInfo(info.Width, info.Height, encoded?.ToArray());
    }
}

/// <summary>An image whose header claims more pixels than allowed.</summary>
public sealed class ImageTooLargeException(int width, int height) : Exception($"The image is {width} × {height} pixels.")
{
    public int Width { get; } = width;
    public int Height { get; } = height;
}
