//! The languages the pages speak, and choosing one per request.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::RwLock;

use fluent_langneg::{NegotiationStrategy, negotiate_languages};
use fluent_templates::Loader;
use poem::http::HeaderValue;
use unic_langid::{CharacterDirection, LanguageIdentifier};

// Every `locales/<language>/*.ftl` file, compiled into the binary.
fluent_templates::static_loader! {
    pub(crate) static LOCALES = {
        locales: "./locales",
        fallback_language: "en-US",
        // Isolation marks (U+2068/U+2069) around placeables would show up in plain-text
        // contexts such as the JSON problem documents; our placeables are never mixed-direction.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The cookie that remembers a visitor's `?lang=` choice.
pub const LANG_COOKIE: &str = "downtime_lang";

/// One language the pages are translated into.
#[derive(Clone, Debug)]
pub struct Language {
    /// The parsed identifier, for Fluent.
    pub id: LanguageIdentifier,
    /// Its BCP 47 tag (`pt-BR`), for `lang`, `Content-Language` and links.
    pub tag: String,
    /// Written right to left (Arabic, Hebrew…).
    pub rtl: bool,
    /// The language's own name, for the switcher.
    pub name: String,
    /// Its tag as a ready `Content-Language` value.
    pub header: HeaderValue,
}

/// The available languages, in a fixed order (by tag), and the default.
#[derive(Debug)]
pub struct Languages {
    list: Vec<Language>,
    ids: Vec<LanguageIdentifier>,
    default: usize,
    accept_cache: RwLock<HashMap<Box<str>, Option<usize>>>,
}

const MAX_CACHED_HEADERS: usize = 512;
const MAX_CACHED_HEADER: usize = 200;

/// The language chosen for a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    /// Index into [`Languages::all`].
    pub index: usize,
    /// Chosen by `?lang=`, so the answer should set the cookie.
    pub remember: bool,
}

impl Languages {
    /// Every language under `locales/`, with `default` (a tag such as `en-US`) as the fallback.
    ///
    /// # Errors
    /// `default` is not one of the available languages.
    pub fn load(default: &str) -> anyhow::Result<Self> {
        let mut ids: Vec<LanguageIdentifier> = LOCALES.locales().cloned().collect();
        ids.sort_by_key(ToString::to_string);
        let list = ids
            .iter()
            .map(|id| {
                Ok(Language {
                    id: id.clone(),
                    tag: id.to_string(),
                    rtl: id.character_direction() == CharacterDirection::RTL,
                    name: LOCALES.lookup(id, "language-name"),
                    header: HeaderValue::try_from(id.to_string())?,
                })
            })
            .collect::<anyhow::Result<Vec<Language>>>()?;
        let default = list
            .iter()
            .position(|l| l.tag.eq_ignore_ascii_case(default))
            .ok_or_else(|| {
                let tags: Vec<&str> = list.iter().map(|l| l.tag.as_str()).collect();
                anyhow::anyhow!(
                    "default language {default:?} is not one of {}",
                    tags.join(", ")
                )
            })?;
        Ok(Languages {
            list,
            ids,
            default,
            accept_cache: RwLock::new(HashMap::new()),
        })
    }

    /// All languages, sorted by tag.
    pub fn all(&self) -> &[Language] {
        &self.list
    }

    /// The language at `index` (from a [`Choice`]).
    pub fn get(&self, index: usize) -> &Language {
        &self.list[index.min(self.list.len() - 1)]
    }

    /// The default language's index.
    pub fn default_index(&self) -> usize {
        self.default
    }

    /// Chooses a language: `?lang=`, then the cookie, then `Accept-Language` by q-value (with
    /// region and script fallback: `fr-CA` → `fr`, `pt` → `pt-BR`, `zh-Hans-CN` → `zh-CN`),
    /// then the default. Unknown or malformed values are skipped, never an error.
    pub fn negotiate(
        &self,
        query: Option<&str>,
        cookie: Option<&str>,
        accept: Option<&str>,
    ) -> Choice {
        if let Some(index) = query.and_then(|tag| self.best([tag])) {
            return Choice {
                index,
                remember: true,
            };
        }
        let chosen = cookie
            .and_then(|tag| self.best([tag]))
            .or_else(|| accept.and_then(|header| self.for_accept_language(header)));
        Choice {
            index: chosen.unwrap_or(self.default),
            remember: false,
        }
    }

    /// Browsers send the same few headers over and over: the answer for each is remembered
    /// (a bounded number of short headers, so a client cannot grow the cache).
    fn for_accept_language(&self, header: &str) -> Option<usize> {
        if let Ok(cache) = self.accept_cache.read()
            && let Some(found) = cache.get(header)
        {
            return *found;
        }
        let found = self.best(by_quality(header));
        if header.len() <= MAX_CACHED_HEADER
            && let Ok(mut cache) = self.accept_cache.write()
            && cache.len() < MAX_CACHED_HEADERS
        {
            cache.insert(header.into(), found);
        }
        found
    }

    fn best<'a>(&self, tags: impl IntoIterator<Item = &'a str>) -> Option<usize> {
        let requested: Vec<LanguageIdentifier> = tags
            .into_iter()
            .filter(|tag| !tag.is_empty() && tag.len() <= 35 && *tag != "*")
            .filter_map(|tag| tag.parse().ok())
            .collect();
        if requested.is_empty() {
            return None;
        }
        let found =
            negotiate_languages(&requested, &self.ids, None, NegotiationStrategy::Filtering);
        let first = found.first()?;
        self.ids.iter().position(|id| id == *first)
    }
}

/// The tags of an `Accept-Language` header, best first (ties keep header order; `q=0` dropped).
fn by_quality(header: &str) -> Vec<&str> {
    let mut weighted: Vec<(&str, f32)> = header
        .split(',')
        .take(32)
        .filter_map(|item| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            (q > 0.0 && q <= 1.0).then_some((tag, q))
        })
        .collect();
    weighted.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(Ordering::Equal));
    weighted.into_iter().map(|(tag, _)| tag).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_is_ordered_by_quality() {
        assert_eq!(by_quality("fr;q=0.5, de, en;q=0.8"), ["de", "en", "fr"]);
        assert_eq!(by_quality("a, b;q=0, c;q=2, d;q=x, e"), ["a", "e"]);
        assert!(by_quality("").iter().all(|t| t.is_empty()));
    }
}
