//! The character-level reader of `.proto` text, as Square Wire's `SyntaxReader` (5.1.0, the
//! version Confluent 7.9 uses) reads it: whitespace and comments, words, quoted strings with
//! their escapes, integers, and the `Syntax error in :line:column: message` errors.
//!
//! It works on UTF-16 code units, as Wire does (a Kotlin `CharArray`), so that the columns in
//! the error messages are Wire's.

/// An error of the reader or the parser: the text after `Could not parse Protobuf - `.
pub type ParseError = String;

pub type Res<T> = Result<T, ParseError>;

/// A position in the text, printed as Wire's `Location` of the path `""`: `:line:column`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loc {
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, ":{}:{}", self.line, self.column)
    }
}

fn is_word_char(c: u16) -> bool {
    matches!(c, 0x61..=0x7a | 0x41..=0x5a | 0x30..=0x39)
        || c == b'_' as u16
        || c == b'-' as u16
        || c == b'.' as u16
}

fn is_ascii_digit(c: u16) -> bool {
    (0x30..=0x39).contains(&c)
}

/// Java's `Character.isWhitespace` for a UTF-16 unit (used by Wire's block-comment reader).
fn java_is_whitespace(c: u16) -> bool {
    match c {
        0x09..=0x0d | 0x1c..=0x1f | 0x20 => true,
        0x00a0 | 0x2007 | 0x202f => false,
        _ => char::from_u32(c as u32).is_some_and(|ch| ch.is_whitespace() && c > 0x7f),
    }
}

/// Wire's `SyntaxReader`.
pub struct Reader {
    data: Vec<u16>,
    pos: usize,
    line: usize,
    line_start: usize,
}

impl Reader {
    pub fn new(text: &str) -> Reader {
        Reader {
            data: text.encode_utf16().collect(),
            pos: 0,
            line: 0,
            line_start: 0,
        }
    }

    fn at(&self, i: usize) -> u16 {
        self.data.get(i).copied().unwrap_or(0)
    }

    fn text(&self, start: usize, end: usize) -> String {
        let end = end.min(self.data.len());
        let start = start.min(end);
        String::from_utf16_lossy(&self.data[start..end])
    }

    pub fn exhausted(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn location(&self) -> Loc {
        Loc {
            line: self.line + 1,
            column: self.pos - self.line_start + 1,
        }
    }

    /// `Syntax error in <location>: <message>` at the current position.
    pub fn unexpected(&self, message: &str) -> ParseError {
        self.unexpected_at(message, self.location())
    }

    pub fn unexpected_at(&self, message: &str, loc: Loc) -> ParseError {
        format!("Syntax error in {loc}: {message}")
    }

    fn newline(&mut self) {
        self.line += 1;
        self.line_start = self.pos;
    }

    /// Reads a non-whitespace character.
    pub fn read_char(&mut self) -> Res<u16> {
        let c = self.peek_char()?;
        self.pos += 1;
        Ok(c)
    }

    /// Reads the character `c` or fails with `expected 'c' but was 'x'`.
    pub fn require(&mut self, c: char) -> Res<()> {
        let read = self.read_char()?;
        if read != c as u16 {
            let was = String::from_utf16_lossy(&[read]);
            return Err(self.unexpected(&format!("expected '{c}' but was '{was}'")));
        }
        Ok(())
    }

    /// Peeks a non-whitespace character (comments skipped); fails at the end of the text.
    pub fn peek_char(&mut self) -> Res<u16> {
        self.skip_whitespace(true)?;
        if self.pos >= self.data.len() {
            return Err(self.unexpected("unexpected end of file"));
        }
        Ok(self.data[self.pos])
    }

    /// Consumes `c` if it is the next non-whitespace character.
    pub fn peek_is(&mut self, c: char) -> Res<bool> {
        if self.peek_char()? == c as u16 {
            self.pos += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Pushes back the character just read (Wire's `pushBack`).
    pub fn push_back(&mut self, c: char) -> Res<()> {
        if self.pos == 0 || self.at(self.pos - 1) != c as u16 {
            return Err("Failed requirement.".to_string());
        }
        self.pos -= 1;
        Ok(())
    }

    /// A quoted string, or else a word.
    pub fn read_string(&mut self) -> Res<String> {
        self.skip_whitespace(true)?;
        let c = self.peek_char()?;
        if c == b'"' as u16 || c == b'\'' as u16 {
            self.read_quoted_string()
        } else {
            self.read_word(true)
        }
    }

    pub fn read_quoted_string(&mut self) -> Res<String> {
        let mut start_quote = self.read_char()?;
        if start_quote != b'"' as u16 && start_quote != b'\'' as u16 {
            return Err("Check failed.".to_string());
        }
        let mut result: Vec<u16> = Vec::new();
        while self.pos < self.data.len() {
            let mut c = self.data[self.pos];
            self.pos += 1;
            if c == start_quote {
                // Adjacent strings are concatenated.
                let next = self.peek_char()?;
                if next == b'"' as u16 || next == b'\'' as u16 {
                    start_quote = self.read_char()?;
                    continue;
                }
                return Ok(String::from_utf16_lossy(&result));
            }
            if c == b'\\' as u16 {
                if self.pos >= self.data.len() {
                    return Err(self.unexpected("unexpected end of file"));
                }
                c = self.data[self.pos];
                self.pos += 1;
                match c {
                    0x61 => c = 0x07,                                    // a
                    0x62 => c = 0x08,                                    // b
                    0x66 => c = 0x0c,                                    // f
                    0x6e => c = 0x0a,                                    // n
                    0x72 => c = 0x0d,                                    // r
                    0x74 => c = 0x09,                                    // t
                    0x76 => c = 0x0b,                                    // v
                    0x78 | 0x58 => c = self.read_numeric_escape(16, 2)?, // x X
                    0x30..=0x37 => {
                        self.pos -= 1;
                        c = self.read_numeric_escape(8, 3)?;
                    }
                    _ => {}
                }
            }
            result.push(c);
            if c == b'\n' as u16 {
                self.newline();
            }
        }
        Err(self.unexpected("unterminated string"))
    }

    fn read_numeric_escape(&mut self, radix: u32, len: usize) -> Res<u16> {
        let mut value: i64 = -1;
        let end = (self.pos + len).min(self.data.len());
        while self.pos < end {
            let digit = char::from_u32(self.data[self.pos] as u32).and_then(|c| {
                if c.is_ascii_hexdigit() {
                    c.to_digit(16)
                } else {
                    None
                }
            });
            match digit {
                Some(d) if d < radix => {
                    value = if value < 0 {
                        d as i64
                    } else {
                        value * radix as i64 + d as i64
                    };
                    self.pos += 1;
                }
                _ => break,
            }
        }
        if value < 0 {
            return Err(self.unexpected("expected a digit after \\x or \\X"));
        }
        Ok(value as u16)
    }

    /// A `(paren-wrapped)`, `[square-wrapped]` or naked name; `retain_wrap` keeps the wrapping.
    pub fn read_name(&mut self, allow_leading_digit: bool, retain_wrap: bool) -> Res<String> {
        let c = self.peek_char()?;
        if c == b'(' as u16 || c == b'[' as u16 {
            let (close, open_s, close_s) = if c == b'(' as u16 {
                (b')', "(", ")")
            } else {
                (b']', "[", "]")
            };
            self.pos += 1;
            let word = self.read_word(allow_leading_digit)?;
            if self.read_char()? != close as u16 {
                return Err(self.unexpected(&format!("expected '{close_s}'")));
            }
            Ok(if retain_wrap {
                format!("{open_s}{word}{close_s}")
            } else {
                word
            })
        } else {
            self.read_word(allow_leading_digit)
        }
    }

    /// A non-empty word of `[a-zA-Z0-9_.-]`.
    pub fn read_word(&mut self, allow_leading_digit: bool) -> Res<String> {
        self.skip_whitespace(true)?;
        let start = self.pos;
        while self.pos < self.data.len() && is_word_char(self.data[self.pos]) {
            self.pos += 1;
        }
        if start >= self.pos {
            return Err(self.unexpected("expected a word"));
        }
        if !allow_leading_digit && is_ascii_digit(self.data[start]) {
            let loc = Loc {
                line: self.line + 1,
                column: start - self.line_start,
            };
            return Err(
                self.unexpected_at("field and constant names cannot start with a digit", loc)
            );
        }
        Ok(self.text(start, self.pos))
    }

    /// An integer tag (decimal, or hexadecimal after `0x`).
    pub fn read_int(&mut self) -> Res<i32> {
        let word = self.read_word(true)?;
        let (digits, radix) = match word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")) {
            Some(rest) => (rest.to_string(), 16),
            None => (word.clone(), 10),
        };
        parse_java_int(&digits, radix)
            .ok_or_else(|| self.unexpected(&format!("expected an integer but was {digits}")))
    }

    /// Skips whitespace and comments before a declaration (Wire's `readDocumentation`; the
    /// documentation itself is dropped, as Confluent never prints it).
    pub fn read_documentation(&mut self) -> Res<()> {
        loop {
            self.skip_whitespace(false)?;
            if self.pos >= self.data.len() || self.data[self.pos] != b'/' as u16 {
                return Ok(());
            }
            self.read_comment()?;
        }
    }

    fn read_comment(&mut self) -> Res<()> {
        self.pos += 1;
        let kind = if self.pos < self.data.len() {
            let k = self.data[self.pos];
            self.pos += 1;
            Some(k)
        } else {
            None
        };
        match kind {
            Some(0x2a) => {
                // '*'
                let mut start_of_line = true;
                while self.pos + 1 < self.data.len() {
                    let c = self.data[self.pos];
                    if c == b'*' as u16 && self.data[self.pos + 1] == b'/' as u16 {
                        self.pos += 2;
                        return Ok(());
                    } else if c == b'\n' as u16 {
                        self.newline_at(self.pos);
                        start_of_line = true;
                    } else if !start_of_line {
                    } else if c == b'*' as u16 {
                        if self.data[self.pos + 1] == b' ' as u16 {
                            self.pos += 1;
                        }
                        start_of_line = false;
                    } else if !java_is_whitespace(c) {
                        start_of_line = false;
                    }
                    self.pos += 1;
                }
                Err(self.unexpected("unterminated comment"))
            }
            Some(0x2f) => {
                // '/'
                if self.pos < self.data.len() && self.data[self.pos] == b' ' as u16 {
                    self.pos += 1;
                }
                while self.pos < self.data.len() {
                    let c = self.data[self.pos];
                    self.pos += 1;
                    if c == b'\n' as u16 {
                        self.newline();
                        break;
                    }
                }
                Ok(())
            }
            _ => Err(self.unexpected("unexpected '/'")),
        }
    }

    /// Wire calls `newline()` while `pos` still points at the `\n` inside block comments.
    fn newline_at(&mut self, pos: usize) {
        self.line += 1;
        self.line_start = pos;
    }

    /// Wire's `tryAppendTrailingDocumentation`: a comment on the rest of the line after a field,
    /// enum constant or `reserved`; its errors are Wire's.
    pub fn try_trailing_documentation(&mut self) -> Res<()> {
        loop {
            if self.pos >= self.data.len() {
                break;
            }
            let c = self.data[self.pos];
            if c == b' ' as u16 || c == b'\t' as u16 {
                self.pos += 1;
            } else if c == b'/' as u16 {
                self.pos += 1;
                break;
            } else {
                return Ok(());
            }
        }
        if !(self.pos < self.data.len()
            && (self.data[self.pos] == b'/' as u16 || self.data[self.pos] == b'*' as u16))
        {
            self.pos = self.pos.saturating_sub(1);
            return Err(self.unexpected("expected '//' or '/*'"));
        }
        let is_star = self.data[self.pos] == b'*' as u16;
        self.pos += 1;
        if self.pos < self.data.len() && self.data[self.pos] == b' ' as u16 {
            self.pos += 1;
        }
        if is_star {
            loop {
                if self.pos >= self.data.len() {
                    return Err(self.unexpected("trailing comment must be closed"));
                }
                if self.data[self.pos] == b'*' as u16
                    && self.pos + 1 < self.data.len()
                    && self.data[self.pos + 1] == b'/' as u16
                {
                    self.pos += 2;
                    break;
                }
                self.pos += 1;
            }
            while self.pos < self.data.len() {
                let c = self.data[self.pos];
                self.pos += 1;
                if c == b'\n' as u16 {
                    self.newline();
                    break;
                }
                if c != b' ' as u16 && c != b'\t' as u16 {
                    return Err(self.unexpected("no syntax may follow trailing comment"));
                }
            }
        } else {
            while self.pos < self.data.len() {
                let c = self.data[self.pos];
                self.pos += 1;
                if c == b'\n' as u16 {
                    self.newline();
                    break;
                }
            }
        }
        Ok(())
    }

    fn skip_whitespace(&mut self, skip_comments: bool) -> Res<()> {
        while self.pos < self.data.len() {
            let c = self.data[self.pos];
            if c == b' ' as u16 || c == b'\t' as u16 || c == b'\r' as u16 || c == b'\n' as u16 {
                self.pos += 1;
                if c == b'\n' as u16 {
                    self.newline();
                }
            } else if skip_comments && c == b'/' as u16 {
                self.read_comment()?;
            } else {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// Java's `Integer.parseInt(s, radix)`: an optional sign and digits, within `i32`.
pub fn parse_java_int(s: &str, radix: u32) -> Option<i32> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: i64 = 0;
    for ch in digits.chars() {
        let d = ch.to_digit(radix)? as i64;
        value = value * radix as i64 + d;
        if value > i32::MAX as i64 + 1 {
            return None;
        }
    }
    let value = if neg { -value } else { value };
    i32::try_from(value).ok()
}
