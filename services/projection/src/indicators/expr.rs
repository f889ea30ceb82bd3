//! Indicator expressions: numbers, `#{element}` and `N{indicator}` references, `+ - * /`
//! and parentheses, as in DHIS2 indicator numerators and denominators.
//!
//! Hand-written (a tokenizer and a recursive-descent parser) so the catalog needs no
//! expression crate; the AST lists the codes it references so the catalog check can
//! refuse unknown ones and find cycles before anything is evaluated.

use std::fmt;

/// Deepest nesting of parentheses and unary signs accepted.
const MAX_DEPTH: usize = 64;

/// What an expression refers to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ref {
    /// `#{code}`: a data element's value.
    Element(String),
    /// `N{code}`: another indicator's value.
    Indicator(String),
}

/// A parsed expression, with its source text and the codes it references.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    text: String,
    root: Node,
    refs: Vec<Ref>,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Number(f64),
    Ref(Ref),
    Neg(Box<Node>),
    Binary(Op, Box<Node>, Box<Node>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// An expression that does not parse: what went wrong and where (1-based column, in
/// characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at column {column}: {message}")]
pub struct ExprError {
    pub column: usize,
    pub message: String,
}

impl Expr {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Expr, ExprError> {
        let tokens = tokenize(text)?;
        let mut parser = Parser {
            tokens: &tokens,
            at: 0,
            end: text.chars().count() + 1,
        };
        let root = parser.sum(0)?;
        if let Some((column, token)) = parser.peek() {
            return Err(error(column, format!("unexpected {token}")));
        }
        let mut refs = Vec::new();
        collect_refs(&root, &mut refs);
        refs.sort();
        refs.dedup();
        Ok(Expr {
            text: text.to_owned(),
            root,
            refs,
        })
    }

    /// The source text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Every code referenced, each once, elements first, sorted.
    pub fn refs(&self) -> &[Ref] {
        &self.refs
    }

    /// Evaluates with `lookup` giving each reference's value. `Ok(None)` when the
    /// arithmetic is undefined (a division by zero, or a result that is not finite);
    /// a lookup error is passed on.
    pub fn eval<E>(&self, lookup: &dyn Fn(&Ref) -> Result<f64, E>) -> Result<Option<f64>, E> {
        Ok(eval(&self.root, lookup)?.filter(|v| v.is_finite()))
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn eval<E>(node: &Node, lookup: &dyn Fn(&Ref) -> Result<f64, E>) -> Result<Option<f64>, E> {
    Ok(match node {
        Node::Number(n) => Some(*n),
        Node::Ref(r) => Some(lookup(r)?),
        Node::Neg(inner) => eval(inner, lookup)?.map(|v| -v),
        Node::Binary(op, left, right) => {
            let (Some(l), Some(r)) = (eval(left, lookup)?, eval(right, lookup)?) else {
                return Ok(None);
            };
            match op {
                Op::Add => Some(l + r),
                Op::Sub => Some(l - r),
                Op::Mul => Some(l * r),
                Op::Div if r == 0.0 => None,
                Op::Div => Some(l / r),
            }
        }
    })
}

fn collect_refs(node: &Node, out: &mut Vec<Ref>) {
    match node {
        Node::Number(_) => {}
        Node::Ref(r) => out.push(r.clone()),
        Node::Neg(inner) => collect_refs(inner, out),
        Node::Binary(_, left, right) => {
            collect_refs(left, out);
            collect_refs(right, out);
        }
    }
}

fn error(column: usize, message: impl Into<String>) -> ExprError {
    ExprError {
        column,
        message: message.into(),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Ref(Ref),
    Op(Op),
    Open,
    Close,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Number(n) => write!(f, "number {n}"),
            Token::Ref(Ref::Element(c)) => write!(f, "#{{{c}}}"),
            Token::Ref(Ref::Indicator(c)) => write!(f, "N{{{c}}}"),
            Token::Op(op) => f.write_str(match op {
                Op::Add => "'+'",
                Op::Sub => "'-'",
                Op::Mul => "'*'",
                Op::Div => "'/'",
            }),
            Token::Open => f.write_str("'('"),
            Token::Close => f.write_str("')'"),
        }
    }
}

/// Splits `text` into tokens, each with its 1-based column.
fn tokenize(text: &str) -> Result<Vec<(usize, Token)>, ExprError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (column, c) = (i + 1, chars[i]);
        let single = match c {
            '+' => Some(Token::Op(Op::Add)),
            '-' => Some(Token::Op(Op::Sub)),
            '*' => Some(Token::Op(Op::Mul)),
            '/' => Some(Token::Op(Op::Div)),
            '(' => Some(Token::Open),
            ')' => Some(Token::Close),
            _ => None,
        };
        if c.is_whitespace() {
            i += 1;
        } else if let Some(token) = single {
            tokens.push((column, token));
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let len = chars[i..]
                .iter()
                .take_while(|c| c.is_ascii_digit() || **c == '.')
                .count();
            let literal: String = chars[i..i + len].iter().collect();
            let n = literal
                .parse::<f64>()
                .map_err(|_| error(column, format!("{literal:?} is not a number")))?;
            tokens.push((column, Token::Number(n)));
            i += len;
        } else if (c == '#' || c == 'N') && chars.get(i + 1) == Some(&'{') {
            let (code, len) = braced_code(&chars[i + 2..], column, c)?;
            let r = if c == '#' {
                Ref::Element(code)
            } else {
                Ref::Indicator(code)
            };
            tokens.push((column, Token::Ref(r)));
            i += 2 + len;
        } else {
            return Err(error(column, format!("unexpected character {c:?}")));
        }
    }
    Ok(tokens)
}

/// The code inside `#{…}` or `N{…}` (`rest` starts after the brace) and how many
/// characters it took, the closing brace included.
fn braced_code(rest: &[char], column: usize, sigil: char) -> Result<(String, usize), ExprError> {
    let Some(close) = rest.iter().position(|c| *c == '}') else {
        return Err(error(
            column,
            format!("'{sigil}{{' is not closed with '}}'"),
        ));
    };
    let code: String = rest[..close].iter().collect();
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if code.is_empty() {
        return Err(error(column, format!("'{sigil}{{}}' names no code")));
    }
    if let Some(bad) = code.chars().find(|c| !valid(*c)) {
        return Err(error(
            column,
            format!("{bad:?} in code {code:?} (letters, digits, '.', '_', '-')"),
        ));
    }
    Ok((code, close + 1))
}

struct Parser<'t> {
    tokens: &'t [(usize, Token)],
    at: usize,
    /// The column just after the text, for "unexpected end" errors.
    end: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<(usize, &Token)> {
        self.tokens.get(self.at).map(|(c, t)| (*c, t))
    }

    fn next_op(&mut self, ops: [Op; 2]) -> Option<Op> {
        match self.peek() {
            Some((_, Token::Op(op))) if ops.contains(op) => {
                let op = *op;
                self.at += 1;
                Some(op)
            }
            _ => None,
        }
    }

    /// `sum := product (('+' | '-') product)*`
    fn sum(&mut self, depth: usize) -> Result<Node, ExprError> {
        let mut node = self.product(depth)?;
        while let Some(op) = self.next_op([Op::Add, Op::Sub]) {
            node = Node::Binary(op, Box::new(node), Box::new(self.product(depth)?));
        }
        Ok(node)
    }

    /// `product := unary (('*' | '/') unary)*`
    fn product(&mut self, depth: usize) -> Result<Node, ExprError> {
        let mut node = self.unary(depth)?;
        while let Some(op) = self.next_op([Op::Mul, Op::Div]) {
            node = Node::Binary(op, Box::new(node), Box::new(self.unary(depth)?));
        }
        Ok(node)
    }

    /// `unary := ('-' | '+') unary | number | ref | '(' sum ')'`
    fn unary(&mut self, depth: usize) -> Result<Node, ExprError> {
        let Some((column, token)) = self.peek() else {
            return Err(error(self.end, "unexpected end of expression"));
        };
        if depth > MAX_DEPTH {
            return Err(error(column, format!("nested deeper than {MAX_DEPTH}")));
        }
        let token = token.clone();
        self.at += 1;
        match token {
            Token::Number(n) => Ok(Node::Number(n)),
            Token::Ref(r) => Ok(Node::Ref(r)),
            Token::Op(Op::Sub) => Ok(Node::Neg(Box::new(self.unary(depth + 1)?))),
            Token::Op(Op::Add) => self.unary(depth + 1),
            Token::Open => {
                let inner = self.sum(depth + 1)?;
                match self.peek() {
                    Some((_, Token::Close)) => {
                        self.at += 1;
                        Ok(inner)
                    }
                    Some((c, t)) => Err(error(c, format!("expected ')', found {t}"))),
                    None => Err(error(
                        self.end,
                        format!("'(' at column {column} not closed"),
                    )),
                }
            }
            other => Err(error(
                column,
                format!("expected a number, #{{element}}, N{{indicator}} or '(', found {other}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Option<f64> {
        let lookup = |r: &Ref| -> Result<f64, ()> {
            Ok(match r {
                Ref::Element(c) if c == "a" => 10.0,
                Ref::Element(c) if c == "b.c" => 4.0,
                Ref::Indicator(_) => 0.5,
                _ => 0.0,
            })
        };
        Expr::parse(text).unwrap().eval(&lookup).unwrap()
    }

    fn parse_error(text: &str) -> String {
        Expr::parse(text).expect_err(text).to_string()
    }

    #[test]
    fn evaluates_with_precedence_and_parentheses() {
        assert_eq!(value("1"), Some(1.0));
        assert_eq!(value("#{a} + #{b.c} * 2"), Some(18.0));
        assert_eq!(value("(#{a} + #{b.c}) * 2"), Some(28.0));
        assert_eq!(value("#{a} / 4 / 5"), Some(0.5));
        assert_eq!(value("#{a} - #{b.c} - 1"), Some(5.0));
        assert_eq!(value("-#{a} + +3"), Some(-7.0));
        assert_eq!(value("N{x} * 100"), Some(50.0));
        assert_eq!(value(" 2.5*4 "), Some(10.0));
    }

    #[test]
    fn division_by_zero_is_undefined_not_infinite() {
        assert_eq!(value("#{a} / #{zero}"), None);
        assert_eq!(value("1 + #{a} / (#{b.c} - 4)"), None);
    }

    #[test]
    fn lists_references_once() {
        let e = Expr::parse("#{b.c} + N{i} * #{a} / #{b.c}").unwrap();
        assert_eq!(
            e.refs(),
            [
                Ref::Element("a".into()),
                Ref::Element("b.c".into()),
                Ref::Indicator("i".into())
            ]
        );
        assert_eq!(e.to_string(), "#{b.c} + N{i} * #{a} / #{b.c}");
    }

    #[test]
    fn parse_errors_give_the_column() {
        assert_eq!(parse_error(""), "at column 1: unexpected end of expression");
        assert_eq!(
            parse_error("#{a} +"),
            "at column 7: unexpected end of expression"
        );
        assert_eq!(
            parse_error("#{a} @ 2"),
            "at column 6: unexpected character '@'"
        );
        assert_eq!(
            parse_error("(#{a} + 1"),
            "at column 10: '(' at column 1 not closed"
        );
        assert_eq!(parse_error("#{a} 2"), "at column 6: unexpected number 2");
        assert_eq!(
            parse_error("#{a"),
            "at column 1: '#{' is not closed with '}'"
        );
        assert_eq!(parse_error("N{}"), "at column 1: 'N{}' names no code");
        assert!(parse_error("#{a b}").starts_with("at column 1: ' ' in code"));
        assert_eq!(parse_error("1..2"), "at column 1: \"1..2\" is not a number");
        assert!(parse_error("* 2").starts_with("at column 1: expected a number"));
        assert_eq!(parse_error("#{a})"), "at column 5: unexpected ')'");
        assert_eq!(parse_error("x"), "at column 1: unexpected character 'x'");
        assert!(parse_error(&"(".repeat(100)).contains("nested deeper than 64"));
    }

    #[test]
    fn lookup_errors_pass_through() {
        let e = Expr::parse("1 + #{a}").unwrap();
        let failing = |_: &Ref| -> Result<f64, String> { Err("no".into()) };
        assert_eq!(e.eval(&failing), Err("no".to_owned()));
    }
}
