//! Turning an uploaded file into images safe to serve: the type is read from the content
//! (never the name), the size a decoded picture would take is checked before anything is
//! decoded (a 400 KB file can claim to be a 10000×10000 picture of 16-bit pixels, which
//! decodes to 800 MB), the picture is turned upright and re-encoded (which drops EXIF and
//! anything else hiding in the file), and resized variants are made in WebP and in the
//! original's format for `srcset`.
//!
//! Processing takes a few times the decoded size in memory; `Processor` lets only a few
//! uploads be processed at once, so memory stays bounded however many arrive together.

use std::io::Cursor;
use std::sync::Arc;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use tokio::sync::Semaphore;

/// The widths of the resized variants; only those narrower than the original are made.
pub const WIDTHS: [u32; 4] = [320, 640, 1024, 1600];
/// The largest width or height accepted (panoramas are long, but not longer).
pub const MAX_SIDE: u32 = 20_000;
/// The default most pixels a picture may have: 50 megapixels, more than most cameras take.
pub const DEFAULT_MAX_PIXELS: u64 = 50_000_000;
/// A decoded pixel may take at most this many bytes on average: an 8-bit RGBA picture of
/// the largest size. Anything costlier to decode (16-bit channels at full size) is refused.
const BYTES_PER_PIXEL: u64 = 4;
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
        "The image is {width} × {height} pixels; at most 20000 pixels wide and high are accepted."
    )]
    TooWide { width: u32, height: u32 },
    #[error(
        "The image is {width} × {height} pixels ({} megapixels); at most {} megapixels are accepted.",
        megapixels(*.pixels),
        megapixels(*.limit)
    )]
    TooManyPixels {
        width: u32,
        height: u32,
        pixels: u64,
        limit: u64,
    },
    #[error(
        "The image would take {needed_mb} MB of memory to decode (its pixels have many bits each); at most {limit_mb} MB is allowed. Save it with fewer pixels or 8 bits per channel."
    )]
    TooCostly { needed_mb: u64, limit_mb: u64 },
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

/// A pixel count as megapixels for people: "50", "12.3".
fn megapixels(pixels: u64) -> String {
    let text = format!("{:.1}", pixels as f64 / 1e6);
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

/// How large a picture may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelLimit {
    pub max_pixels: u64,
}

impl Default for PixelLimit {
    fn default() -> Self {
        PixelLimit {
            max_pixels: DEFAULT_MAX_PIXELS,
        }
    }
}

impl PixelLimit {
    /// The most memory a decoded picture may take.
    fn max_decoded_bytes(self) -> u64 {
        self.max_pixels.saturating_mul(BYTES_PER_PIXEL)
    }

    /// Refuses a picture of this size before it is decoded.
    fn check(self, width: u64, height: u64) -> Result<(), MediaError> {
        let clamp = |n: u64| n.min(u64::from(u32::MAX)) as u32;
        if width > u64::from(MAX_SIDE) || height > u64::from(MAX_SIDE) {
            return Err(MediaError::TooWide {
                width: clamp(width),
                height: clamp(height),
            });
        }
        let pixels = width * height;
        if pixels > self.max_pixels {
            return Err(MediaError::TooManyPixels {
                width: clamp(width),
                height: clamp(height),
                pixels,
                limit: self.max_pixels,
            });
        }
        Ok(())
    }
}

/// Lets at most a few pictures be decoded at once; the others wait their turn.
#[derive(Clone)]
pub struct Processor {
    limit: PixelLimit,
    slots: Arc<Semaphore>,
}

impl Processor {
    pub fn new(limit: PixelLimit, at_once: usize) -> Processor {
        Processor {
            limit,
            slots: Arc::new(Semaphore::new(at_once.max(1))),
        }
    }

    /// Processes an upload on the blocking pool once a slot is free.
    pub async fn process(&self, upload: Vec<u8>) -> Result<Processed, MediaError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let limit = self.limit;
        actix_web::web::block(move || process(&upload, limit))
            .await
            .unwrap_or(Err(MediaError::Unreadable))
    }
}

/// Checks and re-encodes an upload; see the module's comment.
pub fn process(upload: &[u8], limit: PixelLimit) -> Result<Processed, MediaError> {
    if upload.is_empty() {
        return Err(MediaError::Empty);
    }
    let format = image::guess_format(upload).map_err(|_| MediaError::NotAnImage)?;
    let (stored, extension) = stored_format(format).ok_or(MediaError::NotAnImage)?;
    // The header alone says how big the picture claims to be: refuse before decoding.
    if let Ok(size) = imagesize::blob_size(upload) {
        limit.check(size.width as u64, size.height as u64)?;
    }

    let mut reader = ImageReader::with_format(Cursor::new(upload), format);
    // A second fence, for whatever a decoder reserves beyond the picture itself.
    let mut limits = Limits::default();
    limits.max_alloc = Some(limit.max_decoded_bytes().saturating_mul(2));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| MediaError::Unreadable)?;
    let (width, height) = decoder.dimensions();
    limit.check(u64::from(width), u64::from(height))?;
    if width == 0 || height == 0 {
        return Err(MediaError::Unreadable);
    }
    // What decoding allocates, from the decoder's own account of its pixels (bit depth and
    // channels included), before it allocates anything.
    let needed = decoder.total_bytes();
    if needed > limit.max_decoded_bytes() {
        return Err(MediaError::TooCostly {
            needed_mb: needed.div_ceil(1 << 20),
            limit_mb: limit.max_decoded_bytes() >> 20,
        });
    }
    let orientation = decoder.orientation().ok();
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => MediaError::TooCostly {
            needed_mb: needed.div_ceil(1 << 20),
            limit_mb: limit.max_decoded_bytes() >> 20,
        },
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
        let processed = process(&png(1200, 600), PixelLimit::default()).unwrap();
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
        assert!(
            process(&png(200, 100), PixelLimit::default())
                .unwrap()
                .crops
                .is_empty()
        );
    }

    #[test]
    fn the_content_decides_not_the_name() {
        assert_eq!(
            process(b"", PixelLimit::default()).err(),
            Some(MediaError::Empty)
        );
        assert_eq!(
            process(b"just some text, renamed photo.png", PixelLimit::default()).err(),
            Some(MediaError::NotAnImage)
        );
        let mut truncated = png(50, 50);
        truncated.truncate(40);
        assert_eq!(
            process(&truncated, PixelLimit::default()).err(),
            Some(MediaError::Unreadable)
        );
    }

    /// A PNG that claims `side` × `side` pixels and holds no picture data at all.
    pub fn bomb_png(side: u32) -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png_chunk(&mut png, b"IHDR", &ihdr(side, side, 8, 2));
        png_chunk(&mut png, b"IEND", &[]);
        png
    }

    fn ihdr(width: u32, height: u32, bit_depth: u8, color_type: u8) -> Vec<u8> {
        let mut data = width.to_be_bytes().to_vec();
        data.extend(height.to_be_bytes());
        data.extend([bit_depth, color_type, 0, 0, 0]);
        data
    }

    fn png_chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        png.extend((data.len() as u32).to_be_bytes());
        png.extend(kind);
        png.extend(data);
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        png.extend(crc.sum().to_be_bytes());
    }

    /// A real, valid PNG of black pixels (RGBA at `bit_depth` bits per channel), built a
    /// row at a time: it compresses to a few hundred KB however many pixels it has.
    fn black_png(width: u32, height: u32, bit_depth: u8) -> Vec<u8> {
        use std::io::Write;
        let row = vec![0u8; 1 + width as usize * 4 * usize::from(bit_depth / 8)];
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        for _ in 0..height {
            zlib.write_all(&row).unwrap();
        }
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png_chunk(&mut png, b"IHDR", &ihdr(width, height, bit_depth, 6));
        png_chunk(&mut png, b"IDAT", &zlib.finish().unwrap());
        png_chunk(&mut png, b"IEND", &[]);
        png
    }

    /// The largest single allocation the current thread made while `f` ran.
    fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
        counting::LARGEST.with(|l| l.set(0));
        counting::ON.with(|on| on.set(true));
        let out = f();
        counting::ON.with(|on| on.set(false));
        (out, counting::LARGEST.with(|l| l.get()))
    }

    /// Tracks the largest allocation made by the thread that asked (see
    /// `largest_allocation`); the rest is the system allocator's.
    mod counting {
        use std::alloc::{GlobalAlloc, Layout, System};
        use std::cell::Cell;

        thread_local! {
            pub static ON: Cell<bool> = const { Cell::new(false) };
            pub static LARGEST: Cell<usize> = const { Cell::new(0) };
        }

        struct Largest;

        unsafe impl GlobalAlloc for Largest {
            unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
                if ON.with(Cell::get) {
                    LARGEST.with(|l| l.set(l.get().max(layout.size())));
                }
                // SAFETY: forwarded unchanged to the system allocator.
                unsafe { System.alloc(layout) }
            }

            unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
                // SAFETY: `ptr` came from `alloc` above, that is, from the system allocator.
                unsafe { System.dealloc(ptr, layout) }
            }

            unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
                if ON.with(Cell::get) {
                    LARGEST.with(|l| l.set(l.get().max(new_size)));
                }
                // SAFETY: as above.
                unsafe { System.realloc(ptr, layout, new_size) }
            }
        }

        #[global_allocator]
        static ALLOCATOR: Largest = Largest;
    }

    const MB: usize = 1 << 20;

    fn outcome_message(file: &[u8]) -> String {
        process(file, PixelLimit::default())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn a_compressed_bomb_is_refused_before_anything_large_is_allocated() {
        // 100 megapixels of RGBA: 400 MB decoded, about 400 KB as a file.
        let bomb = black_png(10_000, 10_000, 8);
        assert!(bomb.len() < MB, "{} bytes", bomb.len());
        let (outcome, largest) = largest_allocation(|| process(&bomb, PixelLimit::default()));
        assert_eq!(
            outcome.err(),
            Some(MediaError::TooManyPixels {
                width: 10_000,
                height: 10_000,
                pixels: 100_000_000,
                limit: 50_000_000
            })
        );
        let message = outcome_message(&bomb);
        assert!(
            message.contains("(100 megapixels); at most 50 megapixels"),
            "{message}"
        );
        assert!(largest < 4 * MB, "allocated {largest} bytes at once");
    }

    #[test]
    fn deep_pixels_count_what_they_cost_to_decode() {
        // 49 megapixels, under the pixel limit, but 16 bits a channel: 392 MB decoded.
        let deep = black_png(7_000, 7_000, 16);
        let (outcome, largest) = largest_allocation(|| process(&deep, PixelLimit::default()));
        assert_eq!(
            outcome.err(),
            Some(MediaError::TooCostly {
                needed_mb: 374,
                limit_mb: 190
            })
        );
        assert!(largest < 4 * MB, "allocated {largest} bytes at once");
        // The same picture at 8 bits, or a smaller limit's worth of it, is fine.
        let small = black_png(600, 400, 16);
        assert!(process(&small, PixelLimit::default()).is_ok());
    }

    #[test]
    fn the_pixel_limit_is_configurable() {
        let tight = PixelLimit {
            max_pixels: 100_000,
        };
        let refused = process(&png(400, 400), tight).err().unwrap();
        assert_eq!(
            refused.to_string(),
            "The image is 400 × 400 pixels (0.2 megapixels); at most 0.1 megapixels are accepted."
        );
        assert!(process(&png(300, 300), tight).is_ok());
    }

    #[test]
    fn huge_dimensions_are_refused_before_decoding() {
        assert_eq!(
            process(&bomb_png(30_000), PixelLimit::default()).err(),
            Some(MediaError::TooWide {
                width: 30_000,
                height: 30_000
            })
        );
    }
}
