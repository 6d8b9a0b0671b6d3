//! Normalising and checking input. Every command's `validated` runs its
//! fields through a [`Checker`], which trims and collects every broken rule
//! so a client learns about all of them in one response.

use crate::limits::{MOBILE_DIGITS_MAX, MOBILE_DIGITS_MIN, MOBILE_MAX};
use crate::{DomainError, FieldError, Patch};

/// The case-insensitive key a name is unique by. The database keeps it in a
/// column of its own with a unique index, because the three backends'
/// collations disagree on case and trailing spaces.
pub fn unique_key(value: &str) -> String {
    value.to_lowercase()
}

/// Trims and folds runs of white space inside a name into one space.
pub fn tidy(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Which characters a text field holds. No field holds control characters
/// (Unicode Cc: C0, DEL, C1): PostgreSQL cannot store NUL at all, and the
/// rest are invisible or break the lines of every list and spreadsheet that
/// shows the value. Free text (an office address, a role's description)
/// keeps its line breaks and tabs; names, ids, emails, phones and usernames
/// are single lines. The OpenAPI document states the same rules as patterns
/// ([`pattern`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Characters {
    /// Names, ids, emails, phone numbers and usernames: no control characters.
    SingleLine,
    /// Addresses and descriptions: tabs and line breaks are allowed.
    FreeText,
}

impl Characters {
    /// Whether a field of this kind may hold `c`.
    pub fn allows(self, c: char) -> bool {
        !c.is_control() || (self == Self::FreeText && matches!(c, '\t' | '\n' | '\r'))
    }

    fn complaint(self) -> &'static str {
        match self {
            Self::SingleLine => {
                "must not contain control characters (such as NUL, tabs or line breaks)"
            }
            Self::FreeText => {
                "must not contain control characters other than tabs and line breaks (such as NUL)"
            }
        }
    }
}

/// The white space that the checks trim and fold and that may surround an
/// email, phone number or username, as a character class: Rust's
/// `char::is_whitespace` without the control characters, written out
/// because regular expression engines disagree on `\s` (ECMA counts U+FEFF,
/// Python U+001C-U+001F).
macro_rules! blank {
    () => {
        r"[ \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    };
}

/// Neither blank nor control.
macro_rules! visible {
    () => {
        r"[^\x00-\x20\x7F-\x9F\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    };
}

/// Not a control character.
macro_rules! single_line {
    () => {
        r"[^\x00-\x1F\x7F-\x9F]"
    };
}

/// An email address as `is_email` takes it.
macro_rules! mailbox {
    () => {
        r"(?=[^@]{1,64}@)[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
    };
}

/// A phone number as `normalise_mobile` takes it.
macro_rules! phone {
    () => {
        r"\+?[ ().-]*([0-9][ ().-]*){7,15}"
    };
}

/// Regular expressions (ECMA and Python alike) for what the checks accept,
/// by field name, for the OpenAPI document; `None` where no rule applies.
pub fn pattern(field: &str) -> Option<&'static str> {
    Some(match field {
        // At least one visible character, and no control characters.
        "name" | "full_name" | "employee_id" => {
            concat!("^", single_line!(), "*", visible!(), single_line!(), "*$")
        }
        "abbr" => concat!("^", single_line!(), "*$"),
        "office_address" | "description" => r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$",
        // A plain mailbox with a dotted domain (`is_email`).
        "email" => concat!("^", blank!(), "*", mailbox!(), blank!(), "*$"),
        // 7 to 15 digits, an optional leading +, the usual separators.
        "mobile" => concat!("^", blank!(), "*", phone!(), blank!(), "*$"),
        // The optional ones may also be blank, which means none.
        "email2" | "email3" => concat!("^", blank!(), "*(", mailbox!(), blank!(), "*)?$"),
        "mobile2" | "mobile3" => concat!("^", blank!(), "*(", phone!(), blank!(), "*)?$"),
        "username" => concat!("^", blank!(), "*[A-Za-z0-9._@-]{3,64}", blank!(), "*$"),
        _ => return None,
    })
}

/// A search text (`q`): anything but control characters.
pub const SEARCH_PATTERN: &str = concat!("^", single_line!(), "*$");

/// Checks a command's fields one by one, returning each value tidied, and
/// collects every broken rule; [`finish`](Self::finish) reports them.
#[derive(Debug, Default)]
pub struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    /// A checker with no broken rules yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `field` broke a rule.
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// The document's `maxLength`, counted on the value as sent (blank
    /// included): true when it fits.
    fn at_most(&mut self, field: &str, value: &str, max: usize) -> bool {
        let fits = value.chars().count() <= max;
        if !fits {
            self.fail(field, format!("must be at most {max} characters"));
        }
        fits
    }

    /// `Ok` if no rule was broken, else every broken rule in the order found.
    pub fn finish(self) -> Result<(), DomainError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(self.errors))
        }
    }

    /// Refuses characters `kind` does not allow; true if all are allowed.
    pub fn characters(&mut self, field: &str, value: &str, kind: Characters) -> bool {
        let ok = value.chars().all(|c| kind.allows(c));
        if !ok {
            self.fail(field, kind.complaint());
        }
        ok
    }

    /// A required single-line text: tidied, not empty, at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        // The limit applies to what the client sent, as the document says.
        let too_long = value.chars().count() > max;
        if !self.characters(field, value, Characters::SingleLine) {
            return value.to_owned();
        }
        let value = tidy(value);
        if too_long {
            self.fail(field, format!("must be at most {max} characters"));
        } else if value.is_empty() {
            self.fail(field, "must not be empty");
        } else if value.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        }
        value
    }

    /// An optional text: empty after tidying means absent.
    pub fn opt_text(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        let raw = value?;
        if !self.characters(field, raw, Characters::SingleLine) {
            return Some(raw.to_owned());
        }
        let value = tidy(raw);
        if raw.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
            return Some(value);
        }
        if value.is_empty() {
            return None;
        }
        if value.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        }
        Some(value)
    }

    /// Optional free text: trimmed, line breaks and tabs kept; empty means
    /// absent.
    pub fn opt_free_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        let raw = value?;
        if !self.characters(field, raw, Characters::FreeText) {
            return Some(raw.to_owned());
        }
        if raw.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        }
        let value = raw.trim();
        (!value.is_empty()).then(|| value.to_owned())
    }

    /// A patch of optional free text: an empty string clears it too.
    pub fn patch_free_text(
        &mut self,
        field: &str,
        value: &Patch<String>,
        max: usize,
    ) -> Patch<String> {
        self.patch_nullable(value, |c, v| c.opt_free_text(field, Some(v), max))
    }

    /// A patch of a required text: may be left alone or replaced, never cleared.
    pub fn patch_text(&mut self, field: &str, value: &Patch<String>, max: usize) -> Patch<String> {
        match value {
            Patch::Unchanged => Patch::Unchanged,
            Patch::Clear => {
                self.fail(field, "may not be null");
                Patch::Unchanged
            }
            Patch::Set(value) => Patch::Set(self.text(field, value, max)),
        }
    }

    /// A patch of a nullable text: an empty string clears it too.
    pub fn patch_opt_text(
        &mut self,
        field: &str,
        value: &Patch<String>,
        max: usize,
    ) -> Patch<String> {
        self.patch_nullable(value, |c, v| c.opt_text(field, Some(v), max))
    }

    /// A patch of a nullable value, `check`ed when set; a set value that
    /// `check` tidies away (a blank text) clears it.
    fn patch_nullable(
        &mut self,
        value: &Patch<String>,
        check: impl FnOnce(&mut Self, &str) -> Option<String>,
    ) -> Patch<String> {
        match value {
            Patch::Unchanged => Patch::Unchanged,
            Patch::Clear => Patch::Clear,
            Patch::Set(value) => check(self, value).into(),
        }
    }

    /// A patch of a required non-text value.
    pub fn patch_required<T: Clone>(&mut self, field: &str, value: &Patch<T>) -> Patch<T> {
        if matches!(value, Patch::Clear) {
            self.fail(field, "may not be null");
            return Patch::Unchanged;
        }
        value.clone()
    }

    /// A required email address: trimmed, at most `max` characters, a plain
    /// mailbox such as `name@example.org`.
    pub fn email(&mut self, field: &str, value: &str, max: usize) -> String {
        let too_long = value.chars().count() > max;
        if !self.characters(field, value, Characters::SingleLine) {
            return value.to_owned();
        }
        let value = value.trim().to_owned();
        if value.is_empty() {
            self.fail(field, "must not be empty");
        } else if too_long || value.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        } else if !is_email(&value) {
            self.fail(field, "must be an email address such as name@example.org");
        }
        value
    }

    /// An optional email address: blank means absent.
    pub fn opt_email(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        let value = value?;
        if value.trim().is_empty() && self.characters(field, value, Characters::SingleLine) {
            self.at_most(field, value, max);
            return None;
        }
        Some(self.email(field, value, max))
    }

    /// A required phone number, normalised to its digits with an optional
    /// leading `+` ([`normalise_mobile`]).
    pub fn mobile(&mut self, field: &str, value: &str) -> String {
        if !self.characters(field, value, Characters::SingleLine)
            || !self.at_most(field, value, MOBILE_MAX)
        {
            return value.to_owned();
        }
        match normalise_mobile(value) {
            Some(number) => number,
            None => {
                self.fail(
                    field,
                    format!(
                        "must be a phone number of {MOBILE_DIGITS_MIN} to {MOBILE_DIGITS_MAX} digits, optionally starting with +"
                    ),
                );
                value.trim().to_owned()
            }
        }
    }

    /// An optional phone number: blank means absent.
    pub fn opt_mobile(&mut self, field: &str, value: Option<&str>) -> Option<String> {
        let value = value?;
        if value.trim().is_empty() && self.characters(field, value, Characters::SingleLine) {
            self.at_most(field, value, MOBILE_MAX);
            return None;
        }
        Some(self.mobile(field, value))
    }

    /// An integer from `min` to `max`, both included.
    pub fn range(&mut self, field: &str, value: i32, min: i32, max: i32) {
        if value < min || value > max {
            self.fail(field, format!("must be between {min} and {max}"));
        }
    }

    /// An id, which is never below 1.
    pub fn positive_id(&mut self, field: &str, value: i32) {
        if value < 1 {
            self.fail(field, "must be a positive id");
        }
    }
}

/// A plain mailbox: `local@domain.tld`, local part 1..64 characters of
/// letters, digits and `_ % + -` in dot-separated runs, domain of two or
/// more labels of letters, digits and inner hyphens, each 1..63 long. The
/// OpenAPI document states the same rule as a pattern (api::document).
fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    let local_ok = (1..=64).contains(&local.len())
        && local.split('.').all(|run| {
            !run.is_empty()
                && run
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'%' | b'+' | b'-'))
        });
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    local_ok && domain_ok
}

/// Removes the usual separators and checks the digits; `None` if it is not a
/// phone number.
pub fn normalise_mobile(value: &str) -> Option<String> {
    let trimmed = value.trim();
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", trimmed),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    (MOBILE_DIGITS_MIN..=MOBILE_DIGITS_MAX)
        .contains(&digits.len())
        .then(|| format!("{plus}{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_folds_inner_white_space() {
        assert_eq!(tidy("  RPC   Unit\t1 "), "RPC Unit 1");
    }

    #[test]
    fn emails_must_be_plain_mailboxes() {
        for good in ["a@b.org", "first.last+tag@aiims.edu.in"] {
            assert!(is_email(good), "{good}");
        }
        for bad in ["", "a", "a@b", "A <a@b.org>", "a b@c.org", "@b.org", "a@"] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn phones_and_emails_keep_the_documented_length_even_when_blank() {
        let mut c = Checker::new();
        // 15 digits, but 21 characters as sent: over the document's maxLength.
        c.mobile("mobile", "+91 (981) 001-2345 67");
        c.opt_mobile("mobile2", Some(&"\u{a0}".repeat(21)));
        c.opt_email("email2", Some(&" ".repeat(300)), 254);
        assert_eq!(c.opt_mobile("mobile3", Some("   ")), None);
        let errors = c.finish().unwrap_err();
        let fields: Vec<_> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["mobile", "mobile2", "email2"]);
    }

    #[test]
    fn mobiles_are_normalised() {
        assert_eq!(
            normalise_mobile("+91 98765-43210").as_deref(),
            Some("+919876543210")
        );
        assert_eq!(
            normalise_mobile("(011) 2658 8500").as_deref(),
            Some("01126588500")
        );
        assert_eq!(normalise_mobile("12345"), None);
        assert_eq!(normalise_mobile("98765x43210"), None);
        assert_eq!(normalise_mobile("+1234567890123456"), None);
    }

    #[test]
    fn checker_collects_every_error() {
        let mut c = Checker::new();
        c.text("name", "   ", 10);
        c.text("abbr", "abcdefghijk", 10);
        c.email("email", "nope", 254);
        let errors = c.finish().unwrap_err();
        let fields: Vec<_> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "abbr", "email"]);
    }

    #[test]
    fn control_characters_are_refused_and_free_text_keeps_its_lines() {
        for bad in [
            "Ana\0esthesia",
            "Ana\testhesia",
            "Ana\nesthesia",
            "A\u{7f}",
            "A\u{85}",
        ] {
            let mut c = Checker::new();
            c.text("name", bad, 120);
            let errors = c.finish().unwrap_err();
            assert_eq!(errors.errors()[0].field, "name", "{bad:?}");
        }
        let mut c = Checker::new();
        c.email("email", "a\0@b.org", 254);
        c.mobile("mobile", "\t+91 98100 00001");
        c.opt_text("abbr", Some("U\u{1b}1"), 20);
        c.opt_email("email2", Some("\0"), 254);
        assert_eq!(c.finish().unwrap_err().errors().len(), 4);

        let mut c = Checker::new();
        let address = c.opt_free_text("office_address", Some("  Room 12\r\n\tBlock B \n"), 500);
        assert_eq!(address.as_deref(), Some("Room 12\r\n\tBlock B"));
        assert_eq!(c.opt_free_text("office_address", Some(" \n "), 500), None);
        assert!(c.finish().is_ok());
        let mut c = Checker::new();
        c.opt_free_text("office_address", Some("Room\u{0} 12"), 500);
        assert!(c.finish().is_err());
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let mut c = Checker::new();
        // 10 characters, 20 bytes.
        c.text("name", "éééééééééé", 10);
        assert!(c.finish().is_ok());
    }

    #[test]
    fn required_patch_fields_cannot_be_cleared() {
        let mut c = Checker::new();
        assert_eq!(c.patch_text("name", &Patch::Clear, 10), Patch::Unchanged);
        assert!(c.finish().is_err());
        let mut c = Checker::new();
        assert_eq!(
            c.patch_opt_text("abbr", &Patch::Set(" ".into()), 10),
            Patch::Clear
        );
        assert!(c.finish().is_ok());
    }
}
