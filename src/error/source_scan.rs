//! Test support: reads the crate's sources for the codes passed to `AppError`, so the tests in
//! `codes` can check them against the list. A small lexer, enough to tell code from comments,
//! strings and char literals; no parser.

use std::path::{Path, PathBuf};

/// The variants whose first field is a code.
const CODE_VARIANTS: &[&str] = &[
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "Conflict",
    "PayloadTooLarge",
    "UnsupportedMediaType",
    "Validation",
];

/// The first argument of an `AppError::<code variant>(..)`.
#[derive(Debug)]
pub(super) enum Arg {
    /// `"slot_taken"`
    Literal(String),
    /// `codes::SLOT_TAKEN` (or a longer path ending in `codes::SLOT_TAKEN`): the name.
    Constant(String),
    /// Anything else (a variable, a call), as written without spaces.
    Other(String),
}

/// Every `.rs` file under `src/`, with its path relative to the crate root.
pub(super) fn sources() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (mut dirs, mut files) = (vec![root.join("src")], Vec::new());
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                files.push((path.strip_prefix(root).unwrap().to_owned(), text));
            }
        }
    }
    assert!(files.len() > 50, "src/ was not found");
    files
}

/// `(line, first argument)` of every `AppError::<code variant>(` in the text; match patterns
/// (`_`, `..`) are skipped.
pub(super) fn code_arguments(text: &str) -> Vec<(usize, Arg)> {
    let tokens = lex(text);
    let mut found = Vec::new();
    for (i, window) in tokens.windows(5).enumerate() {
        let [(line, app), (_, c1), (_, c2), (_, variant), (_, open)] = window else {
            continue;
        };
        let path = [app.as_str(), c1, c2, open];
        if path != ["AppError", ":", ":", "("] || !CODE_VARIANTS.contains(&variant.as_str()) {
            continue;
        }
        // The tokens of the first argument: up to the first `,` or `)`.
        let arg: Vec<&str> = tokens[i + 5..]
            .iter()
            .map(|(_, t)| t.as_str())
            .take_while(|t| *t != "," && *t != ")")
            .collect();
        let arg = match arg.as_slice() {
            [t] if t.starts_with('"') => Arg::Literal(t.trim_matches('"').to_owned()),
            ["_"] | [".", "."] => continue,
            [.., "codes", ":", ":", name] => Arg::Constant((*name).to_owned()),
            other => Arg::Other(other.concat()),
        };
        found.push((*line, arg));
    }
    found
}

/// The names of the `codes::NAME` paths in the text.
pub(super) fn constant_uses(text: &str) -> Vec<String> {
    lex(text)
        .windows(4)
        .filter(|w| w[0].1 == "codes" && w[1].1 == ":" && w[2].1 == ":")
        .map(|w| w[3].1.clone())
        .collect()
}

/// Rust source as `(line, token)`: identifiers, string literals (with their quotes, raw and
/// byte strings included) and single punctuation characters; comments, char literals, lifetime
/// quotes and whitespace are dropped.
fn lex(text: &str) -> Vec<(usize, String)> {
    let mut lexer = Lexer {
        chars: text.chars().collect(),
        i: 0,
        line: 1,
    };
    let mut tokens = Vec::new();
    while lexer.i < lexer.chars.len() {
        let (line, start, c) = (lexer.line, lexer.i, lexer.at(0));
        if c == '/' && lexer.at(1) == '/' {
            lexer.skip_while(|c| c != '\n');
        } else if c == '/' && lexer.at(1) == '*' {
            lexer.block_comment();
        } else if let Some(body) = lexer.string() {
            tokens.push((line, format!("\"{body}\"")));
        } else if c == '\'' {
            lexer.char_or_lifetime();
        } else if c.is_alphanumeric() || c == '_' {
            lexer.skip_while(|c| c.is_alphanumeric() || c == '_');
            tokens.push((line, lexer.chars[start..lexer.i].iter().collect()));
        } else {
            if !c.is_whitespace() {
                tokens.push((line, c.to_string()));
            }
            lexer.bump();
        }
    }
    tokens
}

struct Lexer {
    chars: Vec<char>,
    i: usize,
    line: usize,
}

impl Lexer {
    fn at(&self, ahead: usize) -> char {
        self.chars.get(self.i + ahead).copied().unwrap_or('\0')
    }

    fn bump(&mut self) {
        if self.at(0) == '\n' {
            self.line += 1;
        }
        self.i += 1;
    }

    fn skip_while(&mut self, keep: impl Fn(char) -> bool) {
        while self.i < self.chars.len() && keep(self.at(0)) {
            self.bump();
        }
    }

    /// `/* ... */`, nested ones included.
    fn block_comment(&mut self) {
        let mut depth = 0;
        while self.i < self.chars.len() {
            match (self.at(0), self.at(1)) {
                ('/', '*') => depth += 1,
                ('*', '/') => depth -= 1,
                _ => {
                    self.bump();
                    continue;
                }
            }
            self.i += 2;
            if depth == 0 {
                return;
            }
        }
    }

    /// A string literal starting here (`"`, `r"`, `r#"`, `b"`, `br"`): its body. Not a raw
    /// identifier (`r#type`), nor an `r` or `b` ending a name.
    fn string(&mut self) -> Option<String> {
        let prev = self.i.checked_sub(1).map(|p| self.chars[p]);
        if prev.is_some_and(|p| p.is_alphanumeric() || p == '_') {
            return None;
        }
        let mut j = usize::from(self.at(0) == 'b');
        let raw = self.at(j) == 'r';
        j += usize::from(raw);
        let hashes = (j..).take_while(|&k| self.at(k) == '#').count();
        if self.at(j + hashes) != '"' {
            return None;
        }
        self.i += j + hashes + 1;
        let body = self.i;
        loop {
            match self.at(0) {
                '\0' => break,
                '\\' if !raw => self.i += 2,
                '"' if (1..=hashes).all(|k| self.at(k) == '#') => break,
                _ => self.bump(),
            }
        }
        let text = self.chars[body..self.i].iter().collect();
        self.i += 1 + hashes;
        Some(text)
    }

    /// `'x'`, `'\n'`, `'\u{..}'`, or the quote of a lifetime (whose name is lexed next).
    fn char_or_lifetime(&mut self) {
        if self.at(1) == '\\' {
            self.i += 3;
            self.skip_while(|c| c != '\'');
            self.i += 1;
        } else if self.at(2) == '\'' {
            self.i += 3;
        } else {
            self.i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_reads_code_but_not_comments_strings_or_chars() {
        let text = r##"
            let quote = '"'; let escaped = '\''; let r#type = 1; let b = "x";
            // AppError::Conflict("in_a_comment", ..)
            /* AppError::Conflict("in_a /* nested */ block", ..) */
            let s = "AppError::Conflict(\"in_a_string\", ..)";
            let raw = r#"AppError::Conflict("in_a_raw_string", ..)"#;
            AppError::Conflict(
                "slot_taken", "busy".into());
            AppError::Forbidden(codes::FORBIDDEN, x);
            AppError::Validation(crate::error::codes::WRONG_PIN, y);
            AppError::Unauthorized(my_code, z);
            matches!(e, AppError::Conflict(_, _) | AppError::BadRequest(..));
        "##;
        let found: Vec<String> = code_arguments(text)
            .iter()
            .map(|(line, arg)| format!("{line} {arg:?}"))
            .collect();
        assert_eq!(
            found,
            [
                r#"7 Literal("slot_taken")"#,
                r#"9 Constant("FORBIDDEN")"#,
                r#"10 Constant("WRONG_PIN")"#,
                r#"11 Other("my_code")"#,
            ]
        );
        assert_eq!(constant_uses(text), ["FORBIDDEN", "WRONG_PIN"]);
    }
}
