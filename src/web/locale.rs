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
    accept_cache: RwLock<AcceptCache>,
}

/// How many `Accept-Language` answers one cache generation holds (so at most twice that).
const CACHE_GENERATION: usize = 256;
/// Longer headers are answered without the cache: real browsers send short ones.
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
            accept_cache: RwLock::new(AcceptCache::default()),
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
    /// (short headers only, in a bounded cache, so a client cannot grow it).
    fn for_accept_language(&self, header: &str) -> Option<usize> {
        if header.len() > MAX_CACHED_HEADER {
            return self.best(by_quality(header));
        }
        let cached = self.accept_cache.read().ok().and_then(|cache| {
            cache
                .current
                .get(header)
                .map(|found| (*found, true))
                .or_else(|| cache.previous.get(header).map(|found| (*found, false)))
        });
        let found = match cached {
            Some((found, true)) => return found,
            // Still in use: carried into the current generation so it outlives the next turn.
            Some((found, false)) => found,
            None => self.best(by_quality(header)),
        };
        if let Ok(mut cache) = self.accept_cache.write() {
            cache.insert(header, found);
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

/// Answers to recent `Accept-Language` headers, in two generations: when the current one is
/// full it becomes the previous one (and the older is dropped), and a header found in the
/// previous one moves back into the current. Headers in steady use stay cached while a client
/// sending ever new ones costs at most two generations.
#[derive(Debug, Default)]
struct AcceptCache {
    current: HashMap<Box<str>, Option<usize>>,
    previous: HashMap<Box<str>, Option<usize>>,
}

impl AcceptCache {
    fn insert(&mut self, header: &str, found: Option<usize>) {
        if self.current.len() >= CACHE_GENERATION {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(header.into(), found);
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

    impl Languages {
        fn is_cached(&self, header: &str) -> bool {
            let cache = self.accept_cache.read().expect("cache lock");
            cache.current.contains_key(header) || cache.previous.contains_key(header)
        }

        fn cached_len(&self) -> usize {
            let cache = self.accept_cache.read().expect("cache lock");
            cache.current.len() + cache.previous.len()
        }
    }

    fn builtin() -> Languages {
        Languages::load("en-US").expect("languages")
    }

    #[test]
    fn a_recent_header_is_cached_after_many_others() {
        let languages = builtin();
        for i in 0..1000 {
            languages.for_accept_language(&format!("x-{i}"));
        }
        assert!(languages.cached_len() <= 2 * CACHE_GENERATION);

        let de = languages.for_accept_language("de-AT, en;q=0.5");
        assert_eq!(languages.get(de.expect("a language")).tag, "de");
        assert!(languages.is_cached("de-AT, en;q=0.5"));
    }

    #[test]
    fn a_header_in_steady_use_outlives_generations() {
        let languages = builtin();
        for i in 0..3000 {
            if i % 100 == 0 {
                languages.for_accept_language("fr-CH");
            }
            languages.for_accept_language(&format!("x-{i}"));
        }
        assert!(languages.is_cached("fr-CH"));
        assert!(!languages.is_cached("x-0"), "old headers are dropped");
        assert!(languages.cached_len() <= 2 * CACHE_GENERATION);
    }

    #[test]
    fn long_headers_are_answered_but_not_cached() {
        let languages = builtin();
        let long = format!("ja, {}", "x-aaaaaaaa;q=0.1, ".repeat(20));
        let ja = languages.for_accept_language(&long).expect("a language");
        assert_eq!(languages.get(ja).tag, "ja");
        assert_eq!(languages.cached_len(), 0);
    }
}
