//! The languages the pages speak, the messages they say, and choosing a language per request.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{LazyLock, RwLock};

use crate::http::q_values;
use anyhow::{Context as _, bail};
use fluent_langneg::{NegotiationStrategy, negotiate_languages};
use fluent_templates::Loader;
use fluent_templates::fluent_bundle::concurrent::FluentBundle;
use fluent_templates::fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use poem::http::HeaderValue;
use unic_langid::{CharacterDirection, LanguageIdentifier, langid};

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

/// The built-in language every message falls back to (the `LOCALES` fallback above).
static FALLBACK: LazyLock<LanguageIdentifier> = LazyLock::new(|| langid!("en-US"));

/// The built-in fallback's messages for visitors: the list a language added by a page directory
/// must complete. The admin page's messages (`admin.ftl`) are not on it: superusers of such a
/// language see the admin page in English. The test `reference_lists_every_en_us_message` keeps
/// it in step with the file.
const REFERENCE: &str = include_str!("../../locales/en-US/main.ftl");

/// What a lookup of an unknown message returns (the same words as fluent-templates' own
/// loaders), so a template asking for one can be caught when it is checked at start.
pub(crate) const UNKNOWN_MESSAGE: &str = "Unknown localization key: ";

/// The default name (`--lang-cookie`) of the cookie that remembers a visitor's `?lang=` choice.
pub const LANG_COOKIE: &str = "downtime_lang";

/// The Fluent message (`duration-*`) and count for a human duration: minutes under two hours
/// (a whole hour in hours), hours under two days, days beyond.
pub(crate) fn duration_parts(secs: u64) -> (&'static str, u64) {
    let minutes = secs.div_ceil(60).max(1);
    if minutes < 120 && (minutes < 60 || !minutes.is_multiple_of(60)) {
        ("duration-minutes", minutes)
    } else if minutes < 48 * 60 {
        ("duration-hours", (minutes + 30) / 60)
    } else {
        ("duration-days", (minutes + 720) / 1440)
    }
}

/// One language's Fluent files from a page directory, already parsed.
#[derive(Debug)]
pub(crate) struct LocaleFiles {
    /// The language, from the folder's name.
    pub id: LanguageIdentifier,
    /// The folder, for error messages.
    pub dir: PathBuf,
    /// Each `.ftl` file with its path, in name order.
    pub files: Vec<(PathBuf, FluentResource)>,
}

/// Every message the pages use: a page directory's Fluent files first, then the built-in ones.
///
/// A message missing from an overriding language falls back to that language's built-in
/// translation, then to en-US, like the built-in loader does.
pub(crate) struct Messages {
    overrides: HashMap<LanguageIdentifier, FluentBundle<FluentResource>>,
    locales: Vec<LanguageIdentifier>,
}

impl std::fmt::Debug for Messages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messages")
            .field("locales", &self.locales)
            .field("overridden", &self.overrides.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Messages {
    /// The built-in messages with `overrides` on top.
    ///
    /// # Errors
    /// A message is defined twice for one language (the error names the file), or a language
    /// that is not built in lacks some of en-US's messages (the error names them).
    pub(crate) fn new(overrides: Vec<LocaleFiles>) -> anyhow::Result<Self> {
        let mut locales: Vec<LanguageIdentifier> = LOCALES.locales().cloned().collect();
        let mut bundles = HashMap::new();
        for LocaleFiles { id, dir, files } in overrides {
            if bundles.contains_key(&id) {
                bail!("{}: a second folder for {id}", dir.display());
            }
            let mut bundle = FluentBundle::new_concurrent(vec![id.clone()]);
            // Same reason as for the built-in bundles: no isolation marks in plain text.
            bundle.set_use_isolating(false);
            for (path, resource) in files {
                bundle.add_resource(resource).map_err(|errors| {
                    let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
                    anyhow::anyhow!("{}: {}", path.display(), errors.join(" "))
                })?;
            }
            if !locales.contains(&id) {
                let missing: Vec<&str> = reference_ids()
                    .into_iter()
                    .filter(|message| !bundle.has_message(message))
                    .collect();
                if !missing.is_empty() {
                    let mut built_in: Vec<String> =
                        LOCALES.locales().map(ToString::to_string).collect();
                    built_in.sort();
                    bail!(
                        "{}: {id} is not a built-in language ({}), so it needs every message en-US has; missing {}",
                        dir.display(),
                        built_in.join(", "),
                        missing.join(", ")
                    );
                }
                locales.push(id.clone());
            }
            bundles.insert(id, bundle);
        }
        Ok(Messages {
            overrides: bundles,
            locales,
        })
    }
}

impl Loader for Messages {
    fn lookup_complete(
        &self,
        lang: &LanguageIdentifier,
        text_id: &str,
        args: Option<&HashMap<Cow<'static, str>, FluentValue>>,
    ) -> String {
        self.try_lookup_complete(lang, text_id, args)
            .unwrap_or_else(|| format!("{UNKNOWN_MESSAGE}{text_id:?}"))
    }

    fn try_lookup_complete(
        &self,
        lang: &LanguageIdentifier,
        text_id: &str,
        args: Option<&HashMap<Cow<'static, str>, FluentValue>>,
    ) -> Option<String> {
        let fallback = (lang != &*FALLBACK).then_some(&*FALLBACK);
        std::iter::once(lang).chain(fallback).find_map(|lang| {
            self.overrides
                .get(lang)
                .and_then(|bundle| format_message(bundle, text_id, args))
                .or_else(|| LOCALES.lookup_single_language(lang, text_id, args).ok())
        })
    }

    fn locales(&self) -> Box<dyn Iterator<Item = &LanguageIdentifier> + '_> {
        Box::new(self.locales.iter())
    }
}

/// `text_id` (a message, or `message.attribute`) from `bundle`; `None` when it is missing or
/// does not format cleanly, so the caller falls back to the built-in text.
fn format_message(
    bundle: &FluentBundle<FluentResource>,
    text_id: &str,
    args: Option<&HashMap<Cow<'static, str>, FluentValue>>,
) -> Option<String> {
    let (name, attribute) = match text_id.split_once('.') {
        Some((name, attribute)) => (name, Some(attribute)),
        None => (text_id, None),
    };
    let message = bundle.get_message(name)?;
    let pattern = match attribute {
        Some(attribute) => message.get_attribute(attribute)?.value(),
        None => message.value()?,
    };
    let args = args.map(|args| {
        let mut fluent = FluentArgs::with_capacity(args.len());
        for (key, value) in args {
            fluent.set(key.clone(), value.clone());
        }
        fluent
    });
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, args.as_ref(), &mut errors);
    errors.is_empty().then(|| text.into_owned())
}

/// The ids of the built-in en-US messages.
fn reference_ids() -> Vec<&'static str> {
    // The built-in file parses (the locale tests check it), so a partial parse never happens.
    let resource = fluent_syntax::parser::parse(REFERENCE).unwrap_or_else(|(partial, _)| partial);
    resource
        .body
        .into_iter()
        .filter_map(|entry| match entry {
            fluent_syntax::ast::Entry::Message(message) => Some(message.id.name),
            _ => None,
        })
        .collect()
}

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
    /// Every language `messages` has, with `default` (a tag such as `en-US`) as the fallback.
    ///
    /// # Errors
    /// `default` is not one of the available languages.
    pub(crate) fn new(messages: &Messages, default: &str) -> anyhow::Result<Self> {
        let mut ids: Vec<LanguageIdentifier> = messages.locales().cloned().collect();
        ids.sort_by_key(ToString::to_string);
        let list = ids
            .iter()
            .map(|id| {
                Ok(Language {
                    id: id.clone(),
                    tag: id.to_string(),
                    rtl: id.character_direction() == CharacterDirection::RTL,
                    name: messages.lookup(id, "language-name"),
                    header: HeaderValue::try_from(id.to_string())
                        .with_context(|| format!("{id} is not a header value"))?,
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
    let mut weighted: Vec<(&str, f32)> = q_values(header)
        .filter_map(|(tag, q)| Some((tag, q.filter(|q| *q > 0.0)?)))
        .collect();
    weighted.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(Ordering::Equal));
    weighted.into_iter().map(|(tag, _)| tag).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_pick_a_readable_unit() {
        assert_eq!(duration_parts(1), ("duration-minutes", 1));
        assert_eq!(duration_parts(300), ("duration-minutes", 5));
        assert_eq!(duration_parts(301), ("duration-minutes", 6));
        assert_eq!(duration_parts(59 * 60), ("duration-minutes", 59));
        assert_eq!(duration_parts(3600), ("duration-hours", 1));
        assert_eq!(duration_parts(90 * 60), ("duration-minutes", 90));
        assert_eq!(duration_parts(119 * 60), ("duration-minutes", 119));
        assert_eq!(duration_parts(120 * 60), ("duration-hours", 2));
        assert_eq!(duration_parts(47 * 3600), ("duration-hours", 47));
        assert_eq!(duration_parts(7 * 24 * 3600), ("duration-days", 7));
    }

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
        Languages::new(&Messages::new(Vec::new()).expect("messages"), "en-US").expect("languages")
    }

    fn ftl(source: &str) -> FluentResource {
        FluentResource::try_new(source.to_owned()).expect("valid Fluent")
    }

    fn files(tag: &str, sources: &[&str]) -> LocaleFiles {
        LocaleFiles {
            id: tag.parse().expect("tag"),
            dir: PathBuf::from(format!("locales/{tag}")),
            files: sources
                .iter()
                .enumerate()
                .map(|(i, source)| (PathBuf::from(format!("locales/{tag}/{i}.ftl")), ftl(source)))
                .collect(),
        }
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

    #[test]
    fn reference_lists_every_en_us_message() {
        let file = concat!(env!("CARGO_MANIFEST_DIR"), "/locales/en-US/main.ftl");
        let mut expected = Vec::new();
        {
            let source = std::fs::read_to_string(file).expect("read");
            let resource = fluent_syntax::parser::parse(source.as_str()).expect("valid Fluent");
            for entry in resource.body {
                if let fluent_syntax::ast::Entry::Message(message) = entry {
                    expected.push(message.id.name.to_owned());
                }
            }
        }
        expected.sort();
        let mut reference = reference_ids();
        reference.sort_unstable();
        assert_eq!(reference, expected);
    }

    #[test]
    fn an_override_replaces_single_messages_and_the_rest_stay_built_in() {
        let fr = langid!("fr");
        let messages = Messages::new(vec![files(
            "fr",
            &["page-heading = Nous revenons vite\nduration-minutes = { $count } min"],
        )])
        .expect("messages");
        assert_eq!(messages.lookup(&fr, "page-heading"), "Nous revenons vite");
        assert_eq!(
            messages.lookup(&fr, "page-title"),
            LOCALES.lookup(&fr, "page-title")
        );
        let args = HashMap::from([(Cow::from("count"), FluentValue::from(5))]);
        assert_eq!(
            messages.lookup_with_args(&fr, "duration-minutes", &args),
            "5 min"
        );
        // Other languages are untouched; unknown ids say so.
        let de = langid!("de");
        assert_eq!(
            messages.lookup(&de, "page-heading"),
            LOCALES.lookup(&de, "page-heading")
        );
        assert!(messages.lookup(&fr, "nope").starts_with(UNKNOWN_MESSAGE));
    }

    #[test]
    fn a_new_language_needs_every_message() {
        let complete: String =
            REFERENCE.replace("language-name = English", "language-name = Esperanto");
        let messages = Messages::new(vec![files("eo", &[&complete])]).expect("messages");
        let languages = Languages::new(&messages, "eo").expect("languages");
        let eo = languages.get(languages.default_index());
        assert_eq!((eo.tag.as_str(), eo.name.as_str()), ("eo", "Esperanto"));
        assert_eq!(languages.all().len(), LOCALES.locales().count() + 1);

        let error = Messages::new(vec![files(
            "sv",
            &["language-name = Svenska\npage-title = Nere"],
        )])
        .expect_err("incomplete");
        let error = error.to_string();
        assert!(
            error.starts_with("locales/sv: sv is not a built-in language"),
            "{error}"
        );
        assert!(
            error.contains("page-heading") && error.contains("problem-detail"),
            "{error}"
        );
        assert!(!error.contains("page-title,"), "{error}");
    }

    #[test]
    fn a_message_defined_twice_names_the_file() {
        let error = Messages::new(vec![files("de", &["page-title = A", "page-title = B"])])
            .expect_err("duplicate");
        let error = error.to_string();
        assert!(error.starts_with("locales/de/1.ftl: "), "{error}");
        assert!(error.contains("page-title"), "{error}");
    }
}
