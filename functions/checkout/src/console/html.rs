//! Markup built by hand, safely: every piece of text goes through [`escape`] on its way into
//! a page, and a template is filled only with [`Html`], which is markup already made safe.

use std::fmt::{self, Write};

/// Text made safe to stand in an element's content or in a quoted attribute value: `&`, `<`,
/// `>`, `"` and `'` become character references.
pub fn escape(text: &str) -> Escaped<'_> {
    Escaped(text)
}

/// Text that writes itself escaped (see [`escape`]).
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..at])?;
            f.write_str(match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}

/// Markup that is safe to send: written by this module's callers with every piece of text
/// escaped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Html(String);

impl Html {
    /// Text, escaped.
    pub fn text(text: &str) -> Html {
        Html(escape(text).to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// Appends markup written with `format_args!`, its text wrapped in [`escape`].
    pub fn push(&mut self, markup: fmt::Arguments<'_>) {
        self.0
            .write_fmt(markup)
            .expect("writing to a String cannot fail");
    }

    pub fn append(&mut self, other: &Html) {
        self.0.push_str(&other.0);
    }
}

/// Writes markup into an [`Html`]: `markup!(out, "<td>{}</td>", escape(text))`.
macro_rules! markup {
    ($out:expr, $($arg:tt)*) => {
        $out.push(format_args!($($arg)*))
    };
}
pub(crate) use markup;

/// Fills a template's `{{name}}` slots, each with markup. A slot left without a value, or a
/// value without a slot, is a mistake in the template or its caller.
pub fn fill(template: &str, slots: &[(&str, &Html)]) -> Html {
    let mut page = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let end = rest[start..]
            .find("}}")
            .map(|n| start + n)
            .expect("a template slot is closed with }}");
        let name = &rest[start + 2..end];
        let (_, value) = slots
            .iter()
            .find(|(slot, _)| *slot == name)
            .unwrap_or_else(|| panic!("the template's slot {{{{{name}}}}} has no value"));
        page.push_str(&rest[..start]);
        page.push_str(value.as_str());
        rest = &rest[end + 2..];
    }
    page.push_str(rest);
    debug_assert!(
        slots
            .iter()
            .all(|(slot, _)| template.contains(&format!("{{{{{slot}}}}}"))),
        "every value has a slot in the template"
    );
    Html(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_are_escaped_and_other_text_is_kept() {
        assert_eq!(
            escape(r#"<img src=x onerror="alert('1')"> & co"#).to_string(),
            "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt; &amp; co"
        );
        assert_eq!(escape("SO-1001 · Müller").to_string(), "SO-1001 · Müller");
        assert_eq!(escape("").to_string(), "");
        assert_eq!(
            escape("&amp;").to_string(),
            "&amp;amp;",
            "escaped once more"
        );
    }

    #[test]
    fn a_template_is_filled_with_markup_only() {
        let name = Html::text("<b>ops</b>");
        let page = fill("<p>{{who}} and {{who}}</p>", &[("who", &name)]);
        assert_eq!(
            page.as_str(),
            "<p>&lt;b&gt;ops&lt;/b&gt; and &lt;b&gt;ops&lt;/b&gt;</p>"
        );
    }

    #[test]
    #[should_panic(expected = "has no value")]
    fn a_slot_without_a_value_is_a_mistake() {
        fill("<p>{{who}}</p>", &[]);
    }

    #[test]
    fn markup_is_written_with_its_text_escaped() {
        let mut out = Html::default();
        markup!(
            out,
            "<td title=\"{}\">{}</td>",
            escape("a\"b"),
            escape("<c>")
        );
        assert_eq!(out.as_str(), "<td title=\"a&quot;b\">&lt;c&gt;</td>");
    }
}
