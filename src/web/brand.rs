//! A page directory: an operator's own template, stylesheet, logo and translations for the
//! maintenance page, read and checked once at start so a broken file stops start-up instead of
//! failing visitors later.
//!
//! ```text
//! <page_dir>/maintenance.html.tera   replaces the built-in template
//! <page_dir>/maintenance.css         replaces the built-in stylesheet
//! <page_dir>/logo.svg or logo.png    shown at the top of the page
//! <page_dir>/locales/<lang>/*.ftl    single messages of a built-in language, or a new language
//! ```
//!
//! Anything else at the top level is ignored, and every piece left out keeps the built-in one.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use fluent_templates::fluent_bundle::FluentResource;
use unic_langid::LanguageIdentifier;

use super::locale::LocaleFiles;

/// The template's file name in a page directory.
pub(crate) const TEMPLATE_FILE: &str = "maintenance.html.tera";
/// The stylesheet's file name in a page directory.
const STYLE_FILE: &str = "maintenance.css";
/// The logo is inlined into every page, so it has to stay small.
const MAX_LOGO_BYTES: u64 = 256 * 1024;
const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// What a page directory overrides; `None` and empty keep the built-in pieces.
#[derive(Debug, Default)]
pub(crate) struct Brand {
    /// The template's path (for error messages) and source.
    pub template: Option<(PathBuf, String)>,
    /// The stylesheet.
    pub style: Option<String>,
    /// The logo as a `data:` URI, so it needs no route of its own and fits `img-src data:`.
    pub logo: Option<String>,
    /// Fluent files, one entry per language folder, in tag order.
    pub locales: Vec<LocaleFiles>,
}

impl Brand {
    /// Reads the overrides in `dir`.
    ///
    /// # Errors
    /// `dir` cannot be read; a file is unreadable or not UTF-8; the stylesheet would close its
    /// `<style>` element; the logo is too large, is not what its name says, or both logos are
    /// there; a language folder's name is not a language tag; a Fluent file has syntax errors.
    /// Every message names the file.
    pub(crate) fn load(dir: &Path) -> anyhow::Result<Self> {
        let meta = std::fs::metadata(dir)
            .with_context(|| format!("cannot read the page directory {}", dir.display()))?;
        if !meta.is_dir() {
            bail!("the page directory {} is not a directory", dir.display());
        }
        let template_path = dir.join(TEMPLATE_FILE);
        let template = read_text(&template_path)?.map(|source| (template_path, source));
        let style_path = dir.join(STYLE_FILE);
        let style = read_text(&style_path)?;
        if let Some(style) = &style
            && style.to_ascii_lowercase().contains("</style")
        {
            bail!(
                "{}: the stylesheet must not contain \"</style\"",
                style_path.display()
            );
        }
        Ok(Brand {
            template,
            style,
            logo: logo(dir)?,
            locales: locales(&dir.join("locales"))?,
        })
    }
}

/// A file's text, or `None` when it does not exist.
fn read_text(path: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// `logo.svg` or `logo.png` as a `data:` URI.
fn logo(dir: &Path) -> anyhow::Result<Option<String>> {
    let svg = read_logo(&dir.join("logo.svg"))?;
    let png = read_logo(&dir.join("logo.png"))?;
    let (bytes, media_type) = match (svg, png) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => bail!(
            "{}: both logo.svg and logo.png are there; keep one",
            dir.display()
        ),
        (Some((path, bytes)), None) => {
            let is_svg = std::str::from_utf8(&bytes).is_ok_and(|text| text.contains("<svg"));
            if !is_svg {
                bail!("{}: not an SVG image", path.display());
            }
            (bytes, "image/svg+xml")
        }
        (None, Some((path, bytes))) => {
            if !bytes.starts_with(PNG_SIGNATURE) {
                bail!("{}: not a PNG image", path.display());
            }
            (bytes, "image/png")
        }
    };
    Ok(Some(format!(
        "data:{media_type};base64,{}",
        BASE64.encode(bytes)
    )))
}

/// A logo file's bytes, or `None` when it does not exist; its size is checked before reading.
fn read_logo(path: &Path) -> anyhow::Result<Option<(PathBuf, Vec<u8>)>> {
    let size = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(error).with_context(|| format!("cannot read {}", path.display()));
        }
    };
    if size > MAX_LOGO_BYTES {
        bail!(
            "{}: {size} bytes; a logo may have at most {MAX_LOGO_BYTES} (it is inlined into every page)",
            path.display()
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Some((path.to_owned(), bytes)))
}

/// Every `locales/<lang>/` folder's `.ftl` files, parsed.
fn locales(dir: &Path) -> anyhow::Result<Vec<LocaleFiles>> {
    let mut found = Vec::new();
    for folder in sorted_entries(dir)? {
        if !folder.is_dir() {
            continue;
        }
        let name = folder.file_name().unwrap_or_default().to_string_lossy();
        let id: LanguageIdentifier = name.parse().with_context(|| {
            format!(
                "{}: the folder's name is not a language tag",
                folder.display()
            )
        })?;
        let mut files = Vec::new();
        for path in sorted_entries(&folder)? {
            if path.extension().is_none_or(|e| e != "ftl") {
                continue;
            }
            let source = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let resource = FluentResource::try_new(source).map_err(|(resource, errors)| {
                let errors: Vec<String> = errors
                    .iter()
                    .map(|error| {
                        format!(
                            "line {}: {error}",
                            line_of(resource.source(), error.pos.start)
                        )
                    })
                    .collect();
                anyhow::anyhow!(
                    "{}: Fluent syntax error, {}",
                    path.display(),
                    errors.join("; ")
                )
            })?;
            files.push((path, resource));
        }
        found.push(LocaleFiles {
            id,
            dir: folder,
            files,
        });
    }
    Ok(found)
}

/// The paths in `dir`, sorted, or none when it does not exist.
fn sorted_entries(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(error).with_context(|| format!("cannot read {}", dir.display()));
        }
    };
    let mut paths = entries
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<Vec<PathBuf>, _>>()
        .with_context(|| format!("cannot read {}", dir.display()))?;
    paths.sort();
    Ok(paths)
}

/// The 1-based line of byte `offset` in `source`.
fn line_of(source: &str, offset: usize) -> usize {
    let offset = offset.min(source.len());
    source.as_bytes()[..offset]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, path: &str, contents: impl AsRef<[u8]>) {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
    }

    #[test]
    fn an_empty_directory_keeps_everything_built_in() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "README.txt", "ignored");
        let brand = Brand::load(dir.path()).expect("brand");
        assert!(brand.template.is_none() && brand.style.is_none() && brand.logo.is_none());
        assert!(brand.locales.is_empty());
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope");
        let error = Brand::load(&missing).expect_err("missing").to_string();
        assert!(error.contains("nope"), "{error}");
    }

    #[test]
    fn logos_become_data_uris() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "logo.png", [PNG_SIGNATURE, b"rest"].concat());
        let logo = Brand::load(dir.path()).expect("brand").logo.expect("logo");
        assert_eq!(
            logo,
            format!(
                "data:image/png;base64,{}",
                BASE64.encode([PNG_SIGNATURE, b"rest"].concat())
            )
        );

        write(
            dir.path(),
            "logo.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        );
        let error = Brand::load(dir.path()).expect_err("two logos").to_string();
        assert!(error.contains("both logo.svg and logo.png"), "{error}");
    }

    #[test]
    fn a_logo_that_is_not_what_its_name_says_or_too_large_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "logo.png", "<svg/>");
        let error = Brand::load(dir.path()).expect_err("not png").to_string();
        assert!(error.ends_with("logo.png: not a PNG image"), "{error}");

        std::fs::remove_file(dir.path().join("logo.png")).expect("rm");
        let big = format!("<svg>{}</svg>", " ".repeat(300 * 1024));
        write(dir.path(), "logo.svg", big);
        let error = Brand::load(dir.path()).expect_err("too large").to_string();
        assert!(
            error.contains("logo.svg: ") && error.contains("at most 262144"),
            "{error}"
        );
    }

    #[test]
    fn a_stylesheet_may_not_close_its_element() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            STYLE_FILE,
            "body{}</STYLE><script>alert(1)</script>",
        );
        let error = Brand::load(dir.path()).expect_err("breaks out").to_string();
        assert!(error.contains("maintenance.css"), "{error}");
    }

    #[test]
    fn fluent_syntax_errors_name_the_file_and_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "locales/fr/a.ftl", "page-title = Bonjour\n");
        write(
            dir.path(),
            "locales/fr/b.ftl",
            "# fine\npage-heading Bonjour\npage-intro = ok\n",
        );
        let error = Brand::load(dir.path()).expect_err("syntax").to_string();
        assert!(
            error.contains("b.ftl: Fluent syntax error, line 2"),
            "{error}"
        );
    }

    #[test]
    fn language_folders_must_be_tags() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "locales/not a tag/main.ftl", "x = y\n");
        let error = Brand::load(dir.path()).expect_err("bad tag").to_string();
        assert!(error.contains("not a tag: the folder's name"), "{error}");
    }

    #[test]
    fn fluent_files_are_read_per_language_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "locales/sv/b.ftl", "b = 2\n");
        write(dir.path(), "locales/sv/a.ftl", "a = 1\n");
        write(dir.path(), "locales/sv/notes.txt", "ignored");
        write(dir.path(), "locales/de/main.ftl", "page-title = Wartung\n");
        let brand = Brand::load(dir.path()).expect("brand");
        let tags: Vec<String> = brand.locales.iter().map(|l| l.id.to_string()).collect();
        assert_eq!(tags, ["de", "sv"]);
        let names: Vec<&std::ffi::OsStr> = brand.locales[1]
            .files
            .iter()
            .filter_map(|(path, _)| path.file_name())
            .collect();
        assert_eq!(names, ["a.ftl", "b.ftl"]);
    }
}
