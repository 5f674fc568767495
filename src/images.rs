//! Turning an uploaded file into images safe to serve: the type is read from the content
//! (never the name), the dimensions are checked before anything is decoded (a small file can
//! claim to be a 30000×30000 picture), the picture is turned upright and re-encoded (which
//! drops EXIF and anything else hiding in the file), and resized variants are made in WebP
//! and in the original's format for `srcset`.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// The widths of the resized variants; only those narrower than the original are made.
pub const WIDTHS: [u32; 4] = [320, 640, 1024, 1600];
/// The largest width or height accepted.
pub const MAX_SIDE: u32 = 10_000;
/// Decoding may allocate at most this much (a 10,000 × 10,000 RGBA picture is 400 MB; this
/// also caps what a crafted file can make the decoder reserve).
const MAX_ALLOC: u64 = 512 * 1024 * 1024;
const JPEG_QUALITY: u8 = 82;
const WEBP_QUALITY: f32 = 80.0;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MediaError {
    #[error("The file is empty.")]
    Empty,
    #[error("The file is larger than the {limit_mb} MB allowed.")]
    TooLarge { limit_mb: u64 },
    #[error("This is not an image Quire accepts: upload a PNG, JPEG, GIF or WebP file.")]
    NotAnImage,
    #[error(
        "The image is {width} × {height} pixels; at most 10000 pixels wide and high are accepted."
    )]
    TooManyPixels { width: u32, height: u32 },
    #[error("The image could not be read: it may be damaged or truncated.")]
    Unreadable,
}

/// One file to store beside the others: its name's ending and its bytes.
pub struct Output {
    /// Appended to the stem: `.jpg`, `-640.webp`…
    pub suffix: String,
    pub bytes: Vec<u8>,
}

pub struct Processed {
    /// The stored format's extension: `jpg`, `png` or `webp`.
    pub extension: &'static str,
    pub width: u32,
    pub height: u32,
    /// The variant widths made (narrower than `width`).
    pub variants: Vec<u32>,
    /// The aspect-ratio crops made for search engines (`16x9`, `4x3`, `1x1`).
    pub crops: Vec<String>,
    pub files: Vec<Output>,
}

/// The stored format for an uploaded one: photographs stay JPEG, WebP stays WebP, and
/// everything else (PNG, the first frame of a GIF) becomes PNG.
fn stored_format(format: ImageFormat) -> Option<(ImageFormat, &'static str)> {
    match format {
        ImageFormat::Jpeg => Some((ImageFormat::Jpeg, "jpg")),
        ImageFormat::Png | ImageFormat::Gif => Some((ImageFormat::Png, "png")),
        ImageFormat::WebP => Some((ImageFormat::WebP, "webp")),
        _ => None,
    }
}

/// Checks and re-encodes an upload; see the module's comment.
pub fn process(upload: &[u8]) -> Result<Processed, MediaError> {
    if upload.is_empty() {
        return Err(MediaError::Empty);
    }
    let format = image::guess_format(upload).map_err(|_| MediaError::NotAnImage)?;
    let (stored, extension) = stored_format(format).ok_or(MediaError::NotAnImage)?;
    // The header alone says how big the picture claims to be: refuse before decoding.
    if let Ok(size) = imagesize::blob_size(upload) {
        let (width, height) = (size.width as u64, size.height as u64);
        if width > u64::from(MAX_SIDE) || height > u64::from(MAX_SIDE) {
            return Err(MediaError::TooManyPixels {
                width: width.min(u64::from(u32::MAX)) as u32,
                height: height.min(u64::from(u32::MAX)) as u32,
            });
        }
    }

    let mut reader = ImageReader::with_format(Cursor::new(upload), format);
    // The sides are checked below from the header, to say which limit was hit.
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| MediaError::Unreadable)?;
    let (width, height) = decoder.dimensions();
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(MediaError::TooManyPixels { width, height });
    }
    if width == 0 || height == 0 {
        return Err(MediaError::Unreadable);
    }
    let orientation = decoder.orientation().ok();
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => MediaError::TooManyPixels { width, height },
        _ => MediaError::Unreadable,
    })?;
    if let Some(orientation) = orientation {
        picture.apply_orientation(orientation);
    }
    let (width, height) = (picture.width(), picture.height());

    let mut files = vec![
        Output {
            suffix: format!(".{extension}"),
            bytes: encode(&picture, stored)?,
        },
        Output {
            suffix: ".webp".into(),
            bytes: encode(&picture, ImageFormat::WebP)?,
        },
    ];
    if stored == ImageFormat::WebP {
        files.truncate(1);
    }
    let mut variants = Vec::new();
    for target in WIDTHS.into_iter().filter(|w| *w < width) {
        let target_height = ((u64::from(height) * u64::from(target)) / u64::from(width)).max(1);
        let resized = picture.resize_exact(
            target,
            target_height as u32,
            image::imageops::FilterType::CatmullRom,
        );
        files.push(Output {
            suffix: format!("-{target}.webp"),
            bytes: encode(&resized, ImageFormat::WebP)?,
        });
        if stored != ImageFormat::WebP {
            files.push(Output {
                suffix: format!("-{target}.{extension}"),
                bytes: encode(&resized, stored)?,
            });
        }
        variants.push(target);
    }
    let mut crops = Vec::new();
    for (across, down) in CROPS {
        let Some(cropped) = crop(&picture, across, down) else {
            continue;
        };
        let name = format!("{across}x{down}");
        files.push(Output {
            suffix: format!("-{name}.{extension}"),
            bytes: encode(&cropped, stored)?,
        });
        crops.push(name);
    }
    Ok(Processed {
        extension,
        width,
        height,
        variants,
        crops,
        files,
    })
}

/// The aspect ratios search engines ask covers in, as (across, down).
pub const CROPS: [(u32, u32); 3] = [(16, 9), (4, 3), (1, 1)];
/// The widest a crop is stored, and the fewest pixels one may have (Google asks for 50,000).
const CROP_WIDTH: u32 = 1200;
const MIN_CROP_PIXELS: u64 = 50_000;

/// The largest centred `across`:`down` part of the picture, at most `CROP_WIDTH` wide; `None`
/// when the picture is too small for a useful one.
fn crop(picture: &DynamicImage, across: u32, down: u32) -> Option<DynamicImage> {
    let (width, height) = (u64::from(picture.width()), u64::from(picture.height()));
    let (across, down) = (u64::from(across), u64::from(down));
    let (crop_w, crop_h) = if width * down > height * across {
        (height * across / down, height)
    } else {
        (width, width * down / across)
    };
    let target_w = crop_w.min(u64::from(CROP_WIDTH));
    let target_h = target_w * down / across;
    if target_w * target_h < MIN_CROP_PIXELS {
        return None;
    }
    let (x, y) = ((width - crop_w) / 2, (height - crop_h) / 2);
    let part = picture.crop_imm(x as u32, y as u32, crop_w as u32, crop_h as u32);
    Some(part.resize_exact(
        target_w as u32,
        target_h as u32,
        image::imageops::FilterType::CatmullRom,
    ))
}

fn encode(picture: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    match format {
        ImageFormat::Jpeg => {
            let rgb = picture.to_rgb8();
            JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
                .encode_image(&rgb)
                .map_err(|_| MediaError::Unreadable)?;
        }
        ImageFormat::WebP => {
            let rgba = picture.to_rgba8();
            let encoder = webp::Encoder::from_rgba(rgba.as_raw(), rgba.width(), rgba.height());
            out = encoder.encode(WEBP_QUALITY).to_vec();
        }
        _ => {
            picture
                .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
                .map_err(|_| MediaError::Unreadable)?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgb};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let picture = ImageBuffer::from_pixel(width, height, Rgb([200u8, 80, 20]));
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(picture)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_picture_gets_variants_narrower_than_itself_in_both_formats() {
        let processed = process(&png(1200, 600)).unwrap();
        assert_eq!(processed.extension, "png");
        assert_eq!((processed.width, processed.height), (1200, 600));
        assert_eq!(processed.variants, [320, 640, 1024]);
        let suffixes: Vec<&str> = processed.files.iter().map(|f| f.suffix.as_str()).collect();
        assert_eq!(
            suffixes,
            [
                ".png",
                ".webp",
                "-320.webp",
                "-320.png",
                "-640.webp",
                "-640.png",
                "-1024.webp",
                "-1024.png",
                "-16x9.png",
                "-4x3.png",
                "-1x1.png"
            ]
        );
        let variant = image::load_from_memory(&processed.files[2].bytes).unwrap();
        assert_eq!((variant.width(), variant.height()), (320, 160));
        assert_eq!(processed.crops, ["16x9", "4x3", "1x1"]);
        let wide = image::load_from_memory(&processed.files[8].bytes).unwrap();
        assert_eq!((wide.width(), wide.height()), (1066, 599));
        let square = image::load_from_memory(&processed.files[10].bytes).unwrap();
        assert_eq!((square.width(), square.height()), (600, 600));
    }

    #[test]
    fn small_pictures_get_no_crops() {
        assert!(process(&png(200, 100)).unwrap().crops.is_empty());
    }

    #[test]
    fn the_content_decides_not_the_name() {
        assert_eq!(process(b"").err(), Some(MediaError::Empty));
        assert_eq!(
            process(b"just some text, renamed photo.png").err(),
            Some(MediaError::NotAnImage)
        );
        let mut truncated = png(50, 50);
        truncated.truncate(40);
        assert_eq!(process(&truncated).err(), Some(MediaError::Unreadable));
    }

    /// A PNG that claims `side` × `side` pixels and holds no picture data at all.
    pub fn bomb_png(side: u32) -> Vec<u8> {
        fn crc32(bytes: &[u8]) -> u32 {
            let mut crc = !0u32;
            for byte in bytes {
                crc ^= u32::from(*byte);
                for _ in 0..8 {
                    crc = if crc & 1 == 1 {
                        (crc >> 1) ^ 0xEDB8_8320
                    } else {
                        crc >> 1
                    };
                }
            }
            !crc
        }
        let mut chunk = b"IHDR".to_vec();
        chunk.extend(side.to_be_bytes());
        chunk.extend(side.to_be_bytes());
        chunk.extend([8, 2, 0, 0, 0]);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(13u32.to_be_bytes());
        png.extend(&chunk);
        png.extend(crc32(&chunk).to_be_bytes());
        png.extend(0u32.to_be_bytes());
        png.extend(b"IEND");
        png.extend(crc32(b"IEND").to_be_bytes());
        png
    }

    #[test]
    fn huge_dimensions_are_refused_before_decoding() {
        assert_eq!(
            process(&bomb_png(30_000)).err(),
            Some(MediaError::TooManyPixels {
                width: 30_000,
                height: 30_000
            })
        );
    }
}
