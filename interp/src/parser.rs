//! Parser: recursive descent from tokens to an [`ast::Chunk`], following the
//! Lua 5.2 grammar and PUC's error wording.
//!
//! Invariants:
//! - `self.t` is the current (first unconsumed) token; every error is reported
//!   "near" it, at the lexer's current line (PUC's `linenumber`).
//! - Syntactic nesting is counted in `depth` exactly where PUC counts "C
//!   levels" (each statement and each sub-expression), starting at
//!   [`C_LEVEL_BASE`]; above [`MAX_C_LEVELS`] the parse fails like `lua5.2`'s.
//!   Every recursion of this parser goes through one of those two points, so
//!   the Rust stack depth is bounded (about 200 levels × a few small frames).
//! - Left-associative chains (`a+b+c`, `a.b.c`, `f()()`) are built by loops,
//!   never by recursion; [`ast::Expr`]'s `Drop` is iterative too.
//!
//! Line attribution (what the compiler gets in the AST's line fields), chosen
//! to reproduce the lines PUC puts in its bytecode:
//! - `BinOp`/`UnOp`: the operator's line.
//! - `Call`/`MethodCall`: the line where the whole suffixed expression starts
//!   (PUC fixes the CALL instruction to that line).
//! - `Index`: the line of the key's last token (the name after `.`, or `]`),
//!   i.e. where PUC emits the GETTABLE.
//! - `Name`, `Vararg`, `Table`: the line of the token itself (`{` for tables).
//! - `FuncBody::line`: PUC's `linedefined`: the `function` keyword's line for
//!   `function a.b()` statements, but the line of the token after `function`
//!   (or after the name in `local function f`), normally `(`, otherwise.
//! - `Stat::Assign::line`: the line of the last token of the expression list
//!   (where PUC emits the stores); other statements: their first keyword.

use crate::ast::{self, BinOp, Block, Expr, Field, FuncBody, Name, Stat, UnOp};
use crate::lexer::{format_error, LexError, Lexer, Tok, Token};
use crate::proto::{chunk_id, SyntaxError};
use lasso::Rodeo;
use std::mem::discriminant;

/// PUC's `LUAI_MAXCCALLS`: the limit on nested statements and sub-expressions.
pub const MAX_C_LEVELS: u32 = 200;

/// C levels already in use when PUC's parser starts, for a chunk compiled by
/// `load` called from Lua code (the common case in tests); this makes the
/// limit bite at the same nesting depth as in `lua5.2`.
pub const C_LEVEL_BASE: u32 = 2;

/// Operator priority for unary operators (binds tighter than everything but `^`).
const UNARY_PRIORITY: u8 = 8;

type R<T> = Result<T, Box<LexError>>;

/// Per-function parse state.
struct FuncState {
    is_vararg: bool,
    line_defined: u32,
}

struct Parser<'s, 'n> {
    lx: Lexer<'s>,
    names: &'n mut Rodeo,
    /// Current token.
    t: Token,
    /// One token of lookahead (used by table constructors).
    ahead: Option<Token>,
    /// Line of the last consumed token (PUC's `lastline`).
    last_line: u32,
    depth: u32,
    funcs: Vec<FuncState>,
}

/// Parse a chunk into an AST.
///
/// `chunkname` is used only to prefix error messages (see [`chunk_id`]).
/// Errors are worded as `lua5.2` words them; `incomplete_input` is set when the
/// error is at the end of the input.
pub fn parse(source: &[u8], chunkname: &[u8], names: &mut Rodeo) -> Result<ast::Chunk, SyntaxError> {
    parse_inner(source, names).map_err(|e| {
        // PUC builds the chunk id from a C string: it ends at a NUL byte.
        let name = &chunkname[..chunkname.iter().position(|&b| b == 0).unwrap_or(chunkname.len())];
        format_error(&chunk_id(name), &e)
    })
}

fn parse_inner(source: &[u8], names: &mut Rodeo) -> R<ast::Chunk> {
    let mut lx = Lexer::new(source);
    let first = lx.next_token(names)?;
    let mut p = Parser {
        lx,
        names,
        t: first,
        ahead: None,
        last_line: 1,
        depth: C_LEVEL_BASE,
        funcs: vec![FuncState { is_vararg: true, line_defined: 0 }],
    };
    p.mainfunc()
}

/// `(left priority, right priority)` of a binary operator, as in 5.2.
fn binop(t: &Tok) -> Option<(BinOp, u8, u8)> {
    Some(match t {
        Tok::Plus => (BinOp::Add, 6, 6),
        Tok::Minus => (BinOp::Sub, 6, 6),
        Tok::Star => (BinOp::Mul, 7, 7),
        Tok::Slash => (BinOp::Div, 7, 7),
        Tok::Percent => (BinOp::Mod, 7, 7),
        Tok::Caret => (BinOp::Pow, 10, 9),
        Tok::Concat => (BinOp::Concat, 5, 4),
        Tok::EqEq => (BinOp::Eq, 3, 3),
        Tok::Ne => (BinOp::Ne, 3, 3),
        Tok::Lt => (BinOp::Lt, 3, 3),
        Tok::Le => (BinOp::Le, 3, 3),
        Tok::Gt => (BinOp::Gt, 3, 3),
        Tok::Ge => (BinOp::Ge, 3, 3),
        Tok::And => (BinOp::And, 2, 2),
        Tok::Or => (BinOp::Or, 1, 1),
        _ => return None,
    })
}

fn unop(t: &Tok) -> Option<UnOp> {
    match t {
        Tok::Not => Some(UnOp::Not),
        Tok::Minus => Some(UnOp::Neg),
        Tok::Hash => Some(UnOp::Len),
        _ => None,
    }
}

impl Parser<'_, '_> {
    // ---- token helpers ------------------------------------------------------

    fn next(&mut self) -> R<()> {
        self.last_line = self.t.line;
        self.t = match self.ahead.take() {
            Some(t) => t,
            None => self.lx.next_token(self.names)?,
        };
        Ok(())
    }

    fn lookahead(&mut self) -> R<&Tok> {
        if self.ahead.is_none() {
            self.ahead = Some(self.lx.next_token(self.names)?);
        }
        Ok(&self.ahead.as_ref().expect("just filled").tok)
    }

    /// Is the current token of kind `k` (payloads ignored)?
    fn is(&self, k: &Tok) -> bool {
        discriminant(&self.t.tok) == discriminant(k)
    }

    fn testnext(&mut self, k: &Tok) -> R<bool> {
        if self.is(k) {
            self.next()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// A syntax error near the current token.
    fn error(&self, msg: impl Into<String>) -> Box<LexError> {
        Box::new(LexError { msg: msg.into(), line: self.lx.line, near: self.lx.near(&self.t) })
    }

    fn error_expected(&self, k: &Tok) -> Box<LexError> {
        self.error(format!("{} expected", k.describe()))
    }

    fn check(&self, k: &Tok) -> R<()> {
        if self.is(k) {
            Ok(())
        } else {
            Err(self.error_expected(k))
        }
    }

    fn checknext(&mut self, k: &Tok) -> R<()> {
        self.check(k)?;
        self.next()
    }

    /// Expect `what` closing `who` opened at line `line`.
    fn check_match(&mut self, what: &Tok, who: &Tok, line: u32) -> R<()> {
        if self.testnext(what)? {
            return Ok(());
        }
        if line == self.lx.line {
            Err(self.error_expected(what))
        } else {
            Err(self.error(format!("{} expected (to close {} at line {})", what.describe(), who.describe(), line)))
        }
    }

    fn str_checkname(&mut self) -> R<Name> {
        match self.t.tok {
            Tok::Name(n) => {
                self.next()?;
                Ok(n)
            }
            _ => Err(self.error("<name> expected")),
        }
    }

    fn limit_error(&self) -> Box<LexError> {
        let line = self.funcs.last().map_or(0, |f| f.line_defined);
        let wh = if line == 0 { "main function".to_string() } else { format!("function at line {line}") };
        self.error(format!("too many C levels (limit is {MAX_C_LEVELS}) in {wh}"))
    }

    fn enter_level(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_C_LEVELS {
            return Err(self.limit_error());
        }
        Ok(())
    }

    fn leave_level(&mut self) {
        self.depth -= 1;
    }

    /// `block_follow`: does the current token end a block?
    fn block_follow(&self, with_until: bool) -> bool {
        match self.t.tok {
            Tok::Else | Tok::Elseif | Tok::End | Tok::Eof => true,
            Tok::Until => with_until,
            _ => false,
        }
    }

    // ---- functions and blocks -----------------------------------------------

    // mainfunc -> block EOF   (the main function is vararg)
    fn mainfunc(&mut self) -> R<ast::Chunk> {
        let body = self.block()?;
        self.check(&Tok::Eof)?;
        Ok(ast::Chunk { body, last_line: self.lx.line })
    }

    // block -> statlist
    // statlist -> { stat [';'] } [retstat]
    fn block(&mut self) -> R<Block> {
        let mut b = Block { start_line: self.last_line, ..Block::default() };
        while !self.block_follow(true) {
            if self.is(&Tok::Return) {
                self.enter_level()?;
                b.ret = Some(self.retstat()?);
                self.leave_level();
                break;
            }
            self.statement(&mut b.stats)?;
        }
        b.end_line = self.lx.line;
        Ok(b)
    }

    // retstat -> RETURN [explist] [';']
    fn retstat(&mut self) -> R<ast::Return> {
        let line = self.t.line;
        self.next()?;
        let exprs = if self.block_follow(true) || self.is(&Tok::Semi) { Vec::new() } else { self.explist()? };
        self.testnext(&Tok::Semi)?;
        Ok(ast::Return { exprs, line })
    }

    // body -> '(' parlist ')' block END
    fn body(&mut self, is_method: bool, line: u32) -> R<Box<FuncBody>> {
        self.funcs.push(FuncState { is_vararg: false, line_defined: line });
        let mut params = Vec::new();
        if is_method {
            params.push(self.names.get_or_intern_static("self"));
        }
        self.checknext(&Tok::LParen)?;
        let is_vararg = self.parlist(&mut params)?;
        self.funcs.last_mut().expect("pushed above").is_vararg = is_vararg;
        self.checknext(&Tok::RParen)?;
        let body = self.block()?;
        let end_line = self.lx.line;
        self.check_match(&Tok::End, &Tok::Function, line)?;
        self.funcs.pop();
        Ok(Box::new(FuncBody { params, is_vararg, body, line, end_line }))
    }

    // parlist -> [ param { ',' param } ]
    // param -> NAME | '...'      ('...' only last)
    fn parlist(&mut self, params: &mut Vec<Name>) -> R<bool> {
        if self.is(&Tok::RParen) {
            return Ok(false);
        }
        loop {
            match self.t.tok {
                Tok::Name(n) => {
                    params.push(n);
                    self.next()?;
                }
                Tok::Dots => {
                    self.next()?;
                    return Ok(true);
                }
                _ => return Err(self.error("<name> or '...' expected")),
            }
            if !self.testnext(&Tok::Comma)? {
                return Ok(false);
            }
        }
    }

    // ---- statements ---------------------------------------------------------

    // statement -> ';' | ifstat | whilestat | DO block END | forstat | repeatstat
    //            | funcstat | localstat | label | retstat | BREAK | GOTO NAME | exprstat
    //
    // Statements are pushed to `out` by the helpers, so that this function,
    // which is on every path of statement nesting, keeps a small stack frame
    // (no `Stat` temporaries; this matters in unoptimised builds).
    fn statement(&mut self, out: &mut Vec<Stat>) -> R<()> {
        let line = self.t.line;
        self.enter_level()?;
        match self.t.tok {
            Tok::Semi => self.next()?,
            Tok::If => self.ifstat(line, out)?,
            Tok::While => self.whilestat(line, out)?,
            Tok::Do => self.dostat(line, out)?,
            Tok::For => self.forstat(line, out)?,
            Tok::Repeat => self.repeatstat(line, out)?,
            Tok::Function => self.funcstat(line, out)?,
            Tok::Local => {
                self.next()?;
                if self.testnext(&Tok::Function)? {
                    self.localfunc(line, out)?
                } else {
                    self.localstat(line, out)?
                }
            }
            Tok::DoubleColon => self.labelstat(line, out)?,
            Tok::Break | Tok::Goto => self.gotostat(line, out)?,
            // Only reachable from a label's no-op loop; `block` handles return.
            Tok::Return => return Err(self.error("unexpected symbol")),
            _ => self.exprstat(out)?,
        }
        self.leave_level();
        Ok(())
    }

    // DO block END
    fn dostat(&mut self, line: u32, out: &mut Vec<Stat>) -> R<()> {
        self.next()?;
        let b = self.block()?;
        self.check_match(&Tok::End, &Tok::Do, line)?;
        out.push(Stat::Do(b));
        Ok(())
    }

    // label -> '::' NAME '::' {';' | label}
    // The no-op statements after a label are parsed here, nested, as in PUC
    // (where they count against the C-level limit).
    fn labelstat(&mut self, line: u32, out: &mut Vec<Stat>) -> R<()> {
        self.next()?;
        let name = self.str_checkname()?;
        self.checknext(&Tok::DoubleColon)?;
        out.push(Stat::Label { name, line });
        while self.is(&Tok::Semi) || self.is(&Tok::DoubleColon) {
            self.statement(out)?;
        }
        Ok(())
    }

    // gotostat -> BREAK | GOTO NAME
    fn gotostat(&mut self, line: u32, out: &mut Vec<Stat>) -> R<()> {
        let is_break = self.is(&Tok::Break);
        self.next()?;
        if is_break {
            out.push(Stat::Break { line });
        } else {
            let label = self.str_checkname()?;
            out.push(Stat::Goto { label, line });
        }
        Ok(())
    }

    // ifstat -> IF cond THEN block {ELSEIF cond THEN block} [ELSE block] END
    fn ifstat(&mut self, line: u32, out: &mut Vec<Stat>) -> R<()> {
        let mut arms = Vec::new();
        arms.push(self.test_then_block()?);
        while self.is(&Tok::Elseif) {
            arms.push(self.test_then_block()?);
        }
        let orelse = if self.testnext(&Tok::Else)? { Some(self.block()?) } else { None };
        self.check_match(&Tok::End, &Tok::If, line)?;
        out.push(Stat::If { arms, orelse, line });
        Ok(())
    }

    // test_then_block -> [IF | ELSEIF] cond THEN block
    fn test_then_block(&mut self) -> R<(Expr, Block)> {
        self.next()?;
        let cond = self.expr()?;
        self.checknext(&Tok::Then)?;
        let b = self.block()?;
        Ok((cond, b))
    }

    // whilestat -> WHILE cond DO block END
    fn whilestat(&mut self, line: u32, out: &mut Vec<Stat>) -> R<()> {
        self.next()?;
        let cond = self.expr()?;
        self.checknext(&Tok::Do)?;
        let body = self.block()?;
        self.check_match(&Tok::End, &Tok::While, line)?;
        out.push(Stat::While { cond, body, line });
        Ok(())
    }

    // repeatstat -> REPEAT block UNTIL cond
    fn repeatstat(&mut self, line: u32, out: &mut Vec<Stat>) -> R<()> {
        self.next()?;
        let body = self.block()?;
        self.check_match(&Tok::Until, &Tok::Repeat, line)?;
        let cond = self.expr()?;
        out.push(Stat::Repeat { body, cond, line });
        Ok(())
    }

    // forstat -> FOR (fornum | forlist) END
    // fornum -> NAME '=' exp1 ',' exp1 [',' exp1] forbody
    // forlist -> NAME {',' NAME} IN explist forbody
    fn forstat(&mut self, line: u32, out: &mut Vec<Stat>) -> R<()> {
        self.next()?;
        let var = self.str_checkname()?;
        let st = match self.t.tok {
            Tok::Assign => {
                self.next()?;
                let start = self.expr()?;
                self.checknext(&Tok::Comma)?;
                let limit = self.expr()?;
                let step = if self.testnext(&Tok::Comma)? { Some(self.expr()?) } else { None };
                let body = self.forbody()?;
                Stat::NumericFor { var, start, limit, step, body, line }
            }
            Tok::Comma | Tok::In => {
                let mut names = vec![var];
                while self.testnext(&Tok::Comma)? {
                    names.push(self.str_checkname()?);
                }
                self.checknext(&Tok::In)?;
                let exprs_line = self.t.line;
                let exprs = self.explist()?;
                let body = self.forbody()?;
                Stat::GenericFor { names, exprs, body, line, exprs_line }
            }
            _ => return Err(self.error("'=' or 'in' expected")),
        };
        self.check_match(&Tok::End, &Tok::For, line)?;
        out.push(st);
        Ok(())
    }

    // forbody -> DO block
    fn forbody(&mut self) -> R<Block> {
        self.checknext(&Tok::Do)?;
        self.block()
    }

    // funcstat -> FUNCTION funcname body
    // funcname -> NAME {'.' NAME} [':' NAME]
    fn funcstat(&mut self, line: u32, out: &mut Vec<Stat>) -> R<()> {
        self.next()?;
        let mut path = vec![self.str_checkname()?];
        while self.testnext(&Tok::Dot)? {
            path.push(self.str_checkname()?);
        }
        let method = self.testnext(&Tok::Colon)?;
        if method {
            path.push(self.str_checkname()?);
        }
        let func = self.body(method, line)?;
        out.push(Stat::Function { path, method, func, line });
        Ok(())
    }

    // localfunc -> LOCAL FUNCTION NAME body
    fn localfunc(&mut self, line: u32, out: &mut Vec<Stat>) -> R<()> {
        let name = self.str_checkname()?;
        let func = self.body(false, self.lx.line)?;
        out.push(Stat::LocalFunction { name, func, line });
        Ok(())
    }

    // localstat -> LOCAL NAME {',' NAME} ['=' explist]
    fn localstat(&mut self, line: u32, out: &mut Vec<Stat>) -> R<()> {
        let mut names = vec![self.str_checkname()?];
        while self.testnext(&Tok::Comma)? {
            names.push(self.str_checkname()?);
        }
        let exprs = if self.testnext(&Tok::Assign)? { self.explist()? } else { Vec::new() };
        out.push(Stat::Local { names, exprs, line });
        Ok(())
    }

    // exprstat -> func | assignment
    // assignment -> suffixedexp {',' suffixedexp} '=' explist
    fn exprstat(&mut self, out: &mut Vec<Stat>) -> R<()> {
        let first = self.suffixedexp()?;
        if !self.is(&Tok::Assign) && !self.is(&Tok::Comma) {
            if !matches!(first, Expr::Call { .. } | Expr::MethodCall { .. }) {
                return Err(self.error("syntax error"));
            }
            out.push(Stat::Call(first));
            return Ok(());
        }
        let mut targets = vec![first];
        loop {
            if !matches!(targets.last(), Some(Expr::Name { .. } | Expr::Index { .. })) {
                return Err(self.error("syntax error"));
            }
            if !self.testnext(&Tok::Comma)? {
                break;
            }
            targets.push(self.suffixedexp()?);
            // PUC recurses once per target and counts it against the C levels.
            if targets.len() as u32 - 1 + self.depth > MAX_C_LEVELS {
                return Err(self.limit_error());
            }
        }
        self.checknext(&Tok::Assign)?;
        let exprs = self.explist()?;
        out.push(Stat::Assign { targets, exprs, line: self.last_line });
        Ok(())
    }

    // ---- expressions --------------------------------------------------------

    // Expression functions recurse once per nesting level of the source, so
    // they are kept lean: work that does not recurse (building nodes) is
    // done in small helpers, keeping unoptimised stack frames small.

    // explist -> expr {',' expr}
    fn explist(&mut self) -> R<Vec<Expr>> {
        let mut v = Vec::new();
        loop {
            let e = self.expr()?;
            v.push(e);
            if !self.testnext(&Tok::Comma)? {
                return Ok(v);
            }
        }
    }

    // expr -> subexpr
    fn expr(&mut self) -> R<Expr> {
        self.subexpr(0)
    }

    // subexpr -> (simpleexp | unop subexpr) {binop subexpr}
    // where the binop loop only takes operators whose left priority exceeds
    // `limit`. (PUC also returns the first operator it did not take; here the
    // caller finds it again as the current token.)
    fn subexpr(&mut self, limit: u8) -> R<Expr> {
        self.enter_level()?;
        let mut e = match unop(&self.t.tok) {
            Some(op) => self.unary(op)?,
            None => self.simpleexp()?,
        };
        while let Some((op, left, right)) = binop(&self.t.tok) {
            if left <= limit {
                break;
            }
            let line = self.t.line;
            self.next()?;
            let rhs = self.subexpr(right)?;
            e = make_binop(op, e, rhs, line);
        }
        self.leave_level();
        Ok(e)
    }

    // unop subexpr
    fn unary(&mut self, op: UnOp) -> R<Expr> {
        let line = self.t.line;
        self.next()?;
        let operand = self.subexpr(UNARY_PRIORITY)?;
        Ok(Expr::UnOp { op, operand: Box::new(operand), line })
    }

    // simpleexp -> NUMBER | STRING | NIL | TRUE | FALSE | '...'
    //            | constructor | FUNCTION body | suffixedexp
    fn simpleexp(&mut self) -> R<Expr> {
        match self.t.tok {
            Tok::LBrace => self.constructor(),
            Tok::Function => {
                self.next()?;
                let f = self.body(false, self.lx.line)?;
                Ok(Expr::Function(f))
            }
            Tok::Number(_) | Tok::String(_) | Tok::Nil | Tok::True | Tok::False | Tok::Dots => self.simple_token(),
            _ => self.suffixedexp(),
        }
    }

    // NUMBER | STRING | NIL | TRUE | FALSE | '...'
    fn simple_token(&mut self) -> R<Expr> {
        let tline = self.t.line;
        let e = match &mut self.t.tok {
            Tok::Number(n) => Expr::Number(*n, tline),
            Tok::String(s) => Expr::String(std::mem::take(s), tline),
            Tok::Nil => Expr::Nil,
            Tok::True => Expr::True,
            Tok::False => Expr::False,
            _ => {
                if !self.funcs.last().is_some_and(|f| f.is_vararg) {
                    return Err(self.error("cannot use '...' outside a vararg function"));
                }
                Expr::Vararg { line: self.t.line }
            }
        };
        self.next()?;
        Ok(e)
    }

    // primaryexp -> NAME | '(' expr ')'
    fn primaryexp(&mut self) -> R<Expr> {
        match self.t.tok {
            Tok::Name(name) => {
                let line = self.t.line;
                self.next()?;
                Ok(Expr::Name { name, line })
            }
            Tok::LParen => {
                let line = self.lx.line;
                self.next()?;
                let e = self.expr()?;
                self.check_match(&Tok::RParen, &Tok::LParen, line)?;
                Ok(Expr::Paren(Box::new(e)))
            }
            _ => Err(self.error("unexpected symbol")),
        }
    }

    // suffixedexp -> primaryexp { '.' NAME | '[' exp ']' | ':' NAME funcargs | funcargs }
    fn suffixedexp(&mut self) -> R<Expr> {
        let line = self.lx.line;
        let mut e = self.primaryexp()?;
        loop {
            e = match self.t.tok {
                Tok::Dot => self.fieldsel(e)?,
                Tok::LBracket => self.yindex(e)?,
                Tok::Colon => self.methodcall(e, line)?,
                Tok::LParen | Tok::String(_) | Tok::LBrace => {
                    let args = self.funcargs(line)?;
                    make_call(e, args, line)
                }
                _ => return Ok(e),
            };
        }
    }

    // fieldsel -> '.' NAME
    fn fieldsel(&mut self, obj: Expr) -> R<Expr> {
        self.next()?;
        let line = self.t.line;
        let name = self.str_checkname()?;
        let key = Expr::String(self.names.resolve(&name).as_bytes().into(), line);
        Ok(Expr::Index { obj: Box::new(obj), key: Box::new(key), line })
    }

    // yindex -> '[' expr ']'
    fn yindex(&mut self, obj: Expr) -> R<Expr> {
        self.next()?;
        let key = self.expr()?;
        let line = self.t.line;
        self.checknext(&Tok::RBracket)?;
        Ok(Expr::Index { obj: Box::new(obj), key: Box::new(key), line })
    }

    // ':' NAME funcargs
    fn methodcall(&mut self, obj: Expr, line: u32) -> R<Expr> {
        self.next()?;
        let method = self.str_checkname()?;
        let args = self.funcargs(line)?;
        Ok(Expr::MethodCall { obj: Box::new(obj), method, args, line })
    }

    // funcargs -> '(' [explist] ')' | constructor | STRING
    fn funcargs(&mut self, line: u32) -> R<Vec<Expr>> {
        match self.t.tok {
            Tok::LParen => {
                self.next()?;
                let args = if self.is(&Tok::RParen) { Vec::new() } else { self.explist()? };
                self.check_match(&Tok::RParen, &Tok::LParen, line)?;
                Ok(args)
            }
            Tok::LBrace => {
                let t = self.constructor()?;
                Ok(vec![t])
            }
            Tok::String(_) => {
                let s = self.simple_token()?;
                Ok(vec![s])
            }
            _ => Err(self.error("function arguments expected")),
        }
    }

    // constructor -> '{' [ field { sep field } [sep] ] '}'
    // sep -> ',' | ';'
    fn constructor(&mut self) -> R<Expr> {
        let line = self.lx.line;
        self.checknext(&Tok::LBrace)?;
        let mut fields = Vec::new();
        loop {
            if self.is(&Tok::RBrace) {
                break;
            }
            let f = self.field()?;
            fields.push(f);
            if !(self.testnext(&Tok::Comma)? || self.testnext(&Tok::Semi)?) {
                break;
            }
        }
        self.check_match(&Tok::RBrace, &Tok::LBrace, line)?;
        let end_line = self.last_line;
        Ok(Expr::Table { fields, line, end_line })
    }

    // field -> listfield | recfield
    // listfield -> exp
    fn field(&mut self) -> R<Field> {
        let keyed = match self.t.tok {
            Tok::Name(_) => matches!(self.lookahead()?, Tok::Assign),
            Tok::LBracket => true,
            _ => false,
        };
        if keyed {
            self.recfield()
        } else {
            let e = self.expr()?;
            Ok(Field::Positional(e))
        }
    }

    // recfield -> (NAME | '[' exp ']') '=' exp
    fn recfield(&mut self) -> R<Field> {
        let key = if let Tok::Name(name) = self.t.tok {
            let kline = self.t.line;
            self.next()?;
            Expr::String(self.names.resolve(&name).as_bytes().into(), kline)
        } else {
            self.next()?;
            let k = self.expr()?;
            self.checknext(&Tok::RBracket)?;
            k
        };
        self.checknext(&Tok::Assign)?;
        let value = self.expr()?;
        Ok(Field::Keyed { key, value })
    }
}

fn make_binop(op: BinOp, lhs: Expr, rhs: Expr, line: u32) -> Expr {
    Expr::BinOp { op, lhs: Box::new(lhs), rhs: Box::new(rhs), line }
}

fn make_call(func: Expr, args: Vec<Expr>, line: u32) -> Expr {
    Expr::Call { func: Box::new(func), args, line }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write;

    /// Compact rendering of an AST for tests.
    struct Show<'a> {
        names: &'a Rodeo,
        out: String,
    }

    impl Show<'_> {
        fn n(&mut self, n: &Name) {
            self.out.push_str(self.names.resolve(n));
        }
        fn list(&mut self, es: &[Expr]) {
            for (i, e) in es.iter().enumerate() {
                if i > 0 {
                    self.out.push_str(", ");
                }
                self.e(e);
            }
        }
        fn e(&mut self, e: &Expr) {
            match e {
                Expr::Nil => self.out.push_str("nil"),
                Expr::True => self.out.push_str("true"),
                Expr::False => self.out.push_str("false"),
                Expr::Vararg { .. } => self.out.push_str("..."),
                Expr::Number(x, _) => write!(self.out, "{x}").unwrap(),
                Expr::String(s, _) => write!(self.out, "{:?}", String::from_utf8_lossy(s)).unwrap(),
                Expr::Function(f) => self.func(f),
                Expr::Table { fields, .. } => {
                    self.out.push('{');
                    for (i, f) in fields.iter().enumerate() {
                        if i > 0 {
                            self.out.push_str(", ");
                        }
                        match f {
                            Field::Positional(e) => self.e(e),
                            Field::Keyed { key, value } => {
                                self.out.push('[');
                                self.e(key);
                                self.out.push_str("]=");
                                self.e(value);
                            }
                        }
                    }
                    self.out.push('}');
                }
                Expr::BinOp { op, lhs, rhs, .. } => {
                    self.out.push('(');
                    self.e(lhs);
                    let s = match op {
                        BinOp::Add => "+",
                        BinOp::Sub => "-",
                        BinOp::Mul => "*",
                        BinOp::Div => "/",
                        BinOp::Mod => "%",
                        BinOp::Pow => "^",
                        BinOp::Concat => "..",
                        BinOp::Eq => "==",
                        BinOp::Ne => "~=",
                        BinOp::Lt => "<",
                        BinOp::Le => "<=",
                        BinOp::Gt => ">",
                        BinOp::Ge => ">=",
                        BinOp::And => "and",
                        BinOp::Or => "or",
                    };
                    write!(self.out, " {s} ").unwrap();
                    self.e(rhs);
                    self.out.push(')');
                }
                Expr::UnOp { op, operand, .. } => {
                    self.out.push('(');
                    self.out.push_str(match op {
                        UnOp::Neg => "-",
                        UnOp::Not => "not ",
                        UnOp::Len => "#",
                    });
                    self.e(operand);
                    self.out.push(')');
                }
                Expr::Name { name, .. } => self.n(name),
                Expr::Index { obj, key, .. } => {
                    self.e(obj);
                    self.out.push('[');
                    self.e(key);
                    self.out.push(']');
                }
                Expr::Call { func, args, .. } => {
                    self.e(func);
                    self.out.push('(');
                    self.list(args);
                    self.out.push(')');
                }
                Expr::MethodCall { obj, method, args, .. } => {
                    self.e(obj);
                    self.out.push(':');
                    self.n(method);
                    self.out.push('(');
                    self.list(args);
                    self.out.push(')');
                }
                Expr::Paren(e) => {
                    self.out.push('<');
                    self.e(e);
                    self.out.push('>');
                }
            }
        }
        fn func(&mut self, f: &FuncBody) {
            self.out.push_str("function(");
            for (i, p) in f.params.iter().enumerate() {
                if i > 0 {
                    self.out.push_str(", ");
                }
                self.n(p);
            }
            if f.is_vararg {
                self.out.push_str(if f.params.is_empty() { "..." } else { ", ..." });
            }
            self.out.push_str(") ");
            self.block(&f.body);
            self.out.push_str("end");
        }
        fn block(&mut self, b: &Block) {
            for s in &b.stats {
                self.s(s);
                self.out.push_str("; ");
            }
            if let Some(r) = &b.ret {
                self.out.push_str("return ");
                self.list(&r.exprs);
                self.out.push_str("; ");
            }
        }
        fn s(&mut self, s: &Stat) {
            match s {
                Stat::Call(e) => self.e(e),
                Stat::Assign { targets, exprs, .. } => {
                    self.list(targets);
                    self.out.push_str(" = ");
                    self.list(exprs);
                }
                Stat::Local { names, exprs, .. } => {
                    self.out.push_str("local ");
                    for (i, n) in names.iter().enumerate() {
                        if i > 0 {
                            self.out.push_str(", ");
                        }
                        self.n(n);
                    }
                    if !exprs.is_empty() {
                        self.out.push_str(" = ");
                        self.list(exprs);
                    }
                }
                Stat::LocalFunction { name, func, .. } => {
                    self.out.push_str("local ");
                    self.n(name);
                    self.out.push_str(" = ");
                    self.func(func);
                }
                Stat::Function { path, method, func, .. } => {
                    for (i, n) in path.iter().enumerate() {
                        if i > 0 {
                            self.out.push(if *method && i == path.len() - 1 { ':' } else { '.' });
                        }
                        self.n(n);
                    }
                    self.out.push_str(" = ");
                    self.func(func);
                }
                Stat::Do(b) => {
                    self.out.push_str("do ");
                    self.block(b);
                    self.out.push_str("end");
                }
                Stat::While { cond, body, .. } => {
                    self.out.push_str("while ");
                    self.e(cond);
                    self.out.push_str(" do ");
                    self.block(body);
                    self.out.push_str("end");
                }
                Stat::Repeat { body, cond, .. } => {
                    self.out.push_str("repeat ");
                    self.block(body);
                    self.out.push_str("until ");
                    self.e(cond);
                }
                Stat::If { arms, orelse, .. } => {
                    for (i, (c, b)) in arms.iter().enumerate() {
                        self.out.push_str(if i == 0 { "if " } else { "elseif " });
                        self.e(c);
                        self.out.push_str(" then ");
                        self.block(b);
                    }
                    if let Some(b) = orelse {
                        self.out.push_str("else ");
                        self.block(b);
                    }
                    self.out.push_str("end");
                }
                Stat::NumericFor { var, start, limit, step, body, .. } => {
                    self.out.push_str("for ");
                    self.n(var);
                    self.out.push_str(" = ");
                    self.e(start);
                    self.out.push_str(", ");
                    self.e(limit);
                    if let Some(s) = step {
                        self.out.push_str(", ");
                        self.e(s);
                    }
                    self.out.push_str(" do ");
                    self.block(body);
                    self.out.push_str("end");
                }
                Stat::GenericFor { names, exprs, body, .. } => {
                    self.out.push_str("for ");
                    for (i, n) in names.iter().enumerate() {
                        if i > 0 {
                            self.out.push_str(", ");
                        }
                        self.n(n);
                    }
                    self.out.push_str(" in ");
                    self.list(exprs);
                    self.out.push_str(" do ");
                    self.block(body);
                    self.out.push_str("end");
                }
                Stat::Break { .. } => self.out.push_str("break"),
                Stat::Goto { label, .. } => {
                    self.out.push_str("goto ");
                    self.n(label);
                }
                Stat::Label { name, .. } => {
                    self.out.push_str("::");
                    self.n(name);
                    self.out.push_str("::");
                }
            }
        }
    }

    fn show(src: &str) -> String {
        let mut names = Rodeo::default();
        let c = parse(src.as_bytes(), src.as_bytes(), &mut names).unwrap_or_else(|e| panic!("{src}: {e}"));
        let mut s = Show { names: &names, out: String::new() };
        s.block(&c.body);
        s.out.trim_end().trim_end_matches(';').trim_end().to_string()
    }

    fn exp(src: &str) -> String {
        let s = show(&format!("return {src}"));
        s.strip_prefix("return ").unwrap().to_string()
    }

    fn err(src: &str) -> String {
        let mut names = Rodeo::default();
        parse(src.as_bytes(), b"=t", &mut names).unwrap_err().message
    }

    #[test]
    fn precedence() {
        assert_eq!(exp("1 + 2 * 3"), "(1 + (2 * 3))");
        assert_eq!(exp("1 * 2 + 3"), "((1 * 2) + 3)");
        assert_eq!(exp("1 - 2 - 3"), "((1 - 2) - 3)");
        assert_eq!(exp("a .. b .. c"), "(a .. (b .. c))");
        assert_eq!(exp("2 ^ 3 ^ 4"), "(2 ^ (3 ^ 4))");
        assert_eq!(exp("-x ^ 2"), "(-(x ^ 2))");
        assert_eq!(exp("2 ^ -3"), "(2 ^ (-3))");
        assert_eq!(exp("-2 ^ -3 ^ 2"), "(-(2 ^ (-(3 ^ 2))))");
        assert_eq!(exp("not a == b"), "((not a) == b)");
        assert_eq!(exp("a or b and c"), "(a or (b and c))");
        assert_eq!(exp("a and b or c and d"), "((a and b) or (c and d))");
        assert_eq!(exp("a < b == c > d"), "(((a < b) == c) > d)");
        assert_eq!(exp("a .. b < c .. d"), "((a .. b) < (c .. d))");
        assert_eq!(exp("1 + 2 .. 3 * 4"), "((1 + 2) .. (3 * 4))");
        assert_eq!(exp("#t + 1"), "((#t) + 1)");
        assert_eq!(exp("- - x"), "(-(-x))");
        assert_eq!(exp("a % b / c * d"), "(((a % b) / c) * d)");
        assert_eq!(exp("a ~= b <= c >= d"), "(((a ~= b) <= c) >= d)");
        assert_eq!(exp("x or y or z"), "((x or y) or z)");
        assert_eq!(exp("(a + b) * c"), "(<(a + b)> * c)");
        assert_eq!(exp("a .. -b ^ c .. d"), "(a .. ((-(b ^ c)) .. d))");
    }

    #[test]
    fn suffixes_and_calls() {
        assert_eq!(exp("a.b.c"), "a[\"b\"][\"c\"]");
        assert_eq!(exp("a[1][k]"), "a[1][k]");
        assert_eq!(exp("f(1)(2)"), "f(1)(2)");
        assert_eq!(exp("f 'x' {1}"), "f(\"x\")({1})");
        assert_eq!(exp("o:m(1, 2):n{}"), "o:m(1, 2):n({})");
        assert_eq!(exp("(f)()"), "<f>()");
        assert_eq!(exp("..."), "...");
        assert_eq!(exp("f(...)"), "f(...)");
        assert_eq!(exp("{1, x = 2, [3] = 4; 5,}"), "{1, [\"x\"]=2, [3]=4, 5}");
        assert_eq!(exp("{f = function(a, ...) return ... end}"), "{[\"f\"]=function(a, ...) return ...; end}");
        assert_eq!(exp("{x}"), "{x}");
        assert_eq!(exp("{x == 1}"), "{(x == 1)}");
        assert_eq!(exp("nil, true, false, 1.5, 0x10, 'a\\n'"), "nil, true, false, 1.5, 16, \"a\\n\"");
    }

    #[test]
    fn statements() {
        assert_eq!(show("local a, b = 1 x = a"), "local a, b = 1; x = a");
        assert_eq!(show("a, b.c, d[1] = 1, 2"), "a, b[\"c\"], d[1] = 1, 2");
        assert_eq!(show("function a.b:c(x) return self end"), "a.b:c = function(self, x) return self; end");
        assert_eq!(show("function f(...) end"), "f = function(...) end");
        assert_eq!(show("local function f() end"), "local f = function() end");
        assert_eq!(show("if a then b() elseif c then d() else e() end"), "if a then b(); elseif c then d(); else e(); end");
        assert_eq!(show("while x do break end"), "while x do break; end");
        assert_eq!(show("repeat local x until x"), "repeat local x; until x");
        assert_eq!(show("for i = 1, 10, 2 do end for k, v in pairs(t) do end"), "for i = 1, 10, 2 do end; for k, v in pairs(t) do end");
        assert_eq!(show("do ::a:: goto a end ;;"), "do ::a::; goto a; end");
        assert_eq!(show("return"), "return");
        assert_eq!(show("return 1;"), "return 1");
        assert_eq!(show("f() return f()"), "f(); return f()");
        assert_eq!(show("a.b.c = 1"), "a[\"b\"][\"c\"] = 1");
        assert_eq!(err("local x <const> = 1"), "t:1: unexpected symbol near '<'");
    }

    #[test]
    fn errors() {
        assert_eq!(err("x ="), "t:1: unexpected symbol near <eof>");
        assert_eq!(err("f() = 1"), "t:1: syntax error near '='");
        assert_eq!(err("(a) = 1"), "t:1: syntax error near '='");
        assert_eq!(err("function f() return ... end"), "t:1: cannot use '...' outside a vararg function near '...'");
        assert_eq!(err("function f()\n"), "t:2: 'end' expected (to close 'function' at line 1) near <eof>");
        assert_eq!(err("function f()"), "t:1: 'end' expected near <eof>");
        assert_eq!(err("x = }"), "t:1: unexpected symbol near '}'");
        assert_eq!(err("local 1"), "t:1: <name> expected near '1'");
        assert_eq!(err("x = \x01"), "t:1: unexpected symbol near char(1)");
        assert_eq!(err("a.b:c = 1"), "t:1: function arguments expected near '='");
        let mut names = Rodeo::default();
        let e = parse(b"if x then", b"=t", &mut names).unwrap_err();
        assert!(e.incomplete_input);
        let e = parse(b"x = }", b"=t", &mut names).unwrap_err();
        assert!(!e.incomplete_input);
    }

    #[test]
    fn lines() {
        let mut names = Rodeo::default();
        let c = parse(b"local function f\n(a)\nend\nx = 1 +\n2\nf(\n1)\nfunction g\n()\nend", b"=t", &mut names).unwrap();
        let Stat::LocalFunction { func, line, .. } = &c.body.stats[0] else { panic!() };
        assert_eq!((*line, func.line, func.end_line), (1, 2, 3));
        let Stat::Assign { exprs, line, .. } = &c.body.stats[1] else { panic!() };
        assert_eq!(*line, 5);
        let Expr::BinOp { line, .. } = &exprs[0] else { panic!() };
        assert_eq!(*line, 4);
        let Stat::Call(Expr::Call { line, .. }) = &c.body.stats[2] else { panic!() };
        assert_eq!(*line, 6);
        let Stat::Function { func, line, .. } = &c.body.stats[3] else { panic!() };
        assert_eq!((*line, func.line, func.end_line), (8, 8, 10));
        assert_eq!(c.last_line, 10);

        // Index: line of the key's last token; calls: where the suffixed expression starts.
        let c = parse(b"x = a\n.b\n[\n1\n]:m\n(\n)\nif x then\nelse\nend\n\n", b"=t", &mut names).unwrap();
        let Stat::Assign { exprs, line, .. } = &c.body.stats[0] else { panic!() };
        assert_eq!(*line, 7);
        let Expr::MethodCall { obj, line, .. } = &exprs[0] else { panic!() };
        assert_eq!(*line, 1);
        let Expr::Index { obj, line, .. } = &**obj else { panic!() };
        assert_eq!(*line, 5);
        let Expr::Index { line, .. } = &**obj else { panic!() };
        assert_eq!(*line, 2);
        let Stat::If { arms, orelse, line } = &c.body.stats[1] else { panic!() };
        assert_eq!((*line, arms[0].1.end_line, orelse.as_ref().unwrap().end_line), (8, 9, 10));
        assert_eq!((c.body.end_line, c.last_line), (12, 12));
        let c = parse(b"x = function\n(\n)\nend", b"=t", &mut names).unwrap();
        let Stat::Assign { exprs, .. } = &c.body.stats[0] else { panic!() };
        let Expr::Function(f) = &exprs[0] else { panic!() };
        assert_eq!((f.line, f.end_line), (2, 4));
    }

    /// Run `f` on a thread with a 2 MiB stack (the cargo test default, made explicit).
    fn small_stack(f: impl FnOnce() + Send + 'static) {
        stack_of(2 << 20, f);
    }

    fn stack_of(bytes: usize, f: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new().stack_size(bytes).spawn(f).unwrap().join().unwrap();
    }

    #[test]
    fn long_left_chains_do_not_recurse() {
        small_stack(|| {
            for (head, rep) in
                [("x = 1", " + 1"), ("x = a", ".b"), ("x = f", "(1)"), ("x = t", "[1]"), ("x = o", ":m()"), ("x = 1", " or 1")]
            {
                let src = format!("{head}{}", rep.repeat(100_000));
                let mut names = Rodeo::default();
                let c = parse(src.as_bytes(), b"=t", &mut names).unwrap();
                drop(c);
                // An error at the end of a long chain drops the partial tree too.
                let src = format!("{src} +");
                assert!(parse(src.as_bytes(), b"=t", &mut names).is_err());
            }
        });
    }

    /// The deepest nestings allowed by the C-level limit need under 800 KiB of
    /// stack in an unoptimised build (under 256 KiB optimised); run them on
    /// 1 MiB so that a frame-size regression shows up here first.
    #[test]
    fn nesting_limit_on_small_stack() {
        stack_of(1 << 20, || {
            let cases: Vec<(String, String)> = vec![
                (format!("x = {}1{}", "(".repeat(196), ")".repeat(196)), String::new()),
                (
                    format!("x = {}1{}", "(".repeat(197), ")".repeat(197)),
                    "t:1: too many C levels (limit is 200) in main function near '1'".into(),
                ),
                (format!("{}{}", "do ".repeat(198), "end ".repeat(198)), String::new()),
                (
                    format!("{}{}", "do ".repeat(199), "end ".repeat(199)),
                    "t:1: too many C levels (limit is 200) in main function near 'do'".into(),
                ),
                (format!("x = {}{}", "{".repeat(197), "}".repeat(197)), String::new()),
                (
                    format!("x = {}{}", "{".repeat(198), "}".repeat(198)),
                    "t:1: too many C levels (limit is 200) in main function near '{'".into(),
                ),
                (format!("x = {}{}", "f(".repeat(197), ")".repeat(197)), String::new()),
                (
                    format!("x = {}{}", "f(".repeat(198), ")".repeat(198)),
                    "t:1: too many C levels (limit is 200) in main function near 'f'".into(),
                ),
                (format!("x = {}1{}", "function() return ".repeat(98), " end".repeat(98)), String::new()),
                (
                    format!("x = {}1{}", "function() return ".repeat(99), " end".repeat(99)),
                    "t:1: too many C levels (limit is 200) in function at line 1 near 'return'".into(),
                ),
                (format!("{}{}", "if x then ".repeat(197), "end ".repeat(197)), String::new()),
                (format!("{}{}", "for i = 1, 2 do ".repeat(197), "end ".repeat(197)), String::new()),
                (format!("x = {}{}", "{f(".repeat(98), ")}".repeat(98)), String::new()),
                (format!("x = {}1{}", "a[".repeat(196), "]".repeat(196)), String::new()),
                (format!("x = {}1{}", "{a=".repeat(196), "}".repeat(196)), String::new()),
                (format!("x = {}1", "- ".repeat(196)), String::new()),
                (format!("x = {}1", "- ".repeat(197)), "t:1: too many C levels (limit is 200) in main function near '1'".into()),
                (format!("x = 1{}", " ^ 1".repeat(196)), String::new()),
                (format!("x = 1{}", " .. 1".repeat(197)), "t:1: too many C levels (limit is 200) in main function near '1'".into()),
                ((1..=198).map(|i| format!("a{i}")).collect::<Vec<_>>().join(",") + " = 1", String::new()),
                (
                    (1..=199).map(|i| format!("a{i}")).collect::<Vec<_>>().join(",") + " = 1",
                    "t:1: too many C levels (limit is 200) in main function near '='".into(),
                ),
                // Far beyond the limit: still an error, never a stack overflow.
                (format!("x = {}", "(".repeat(100_000)), "t:1: too many C levels (limit is 200) in main function near '('".into()),
                (format!("x = {}", "{".repeat(100_000)), "t:1: too many C levels (limit is 200) in main function near '{'".into()),
                ("if x then ".repeat(100_000), "t:1: too many C levels (limit is 200) in main function near 'x'".into()),
                (
                    (1..=1000).map(|i| format!("::a{i}:: ")).collect(),
                    "t:1: too many C levels (limit is 200) in main function near '::'".into(),
                ),
                ((1..=197).map(|i| format!("::a{i}:: ; ")).collect(), String::new()),
                (
                    (1..=198).map(|i| format!("::a{i}:: ; ")).collect(),
                    "t:1: too many C levels (limit is 200) in main function near ';'".into(),
                ),
            ];
            for (src, want) in cases {
                let mut names = Rodeo::default();
                let got = match parse(src.as_bytes(), b"=t", &mut names) {
                    Ok(_) => String::new(),
                    Err(e) => e.message,
                };
                assert_eq!(got, want, "{}", &src[..src.len().min(40)]);
            }
        });
    }

    /// Seeds for the mutation fuzzer: small chunks covering the grammar.
    const SEEDS: &[&[u8]] = &[
        b"local a, b = 1, 2.5e3\nlocal function f(x, ...) return x, ... end\n",
        b"function t.a.b:c(y) self.z = y; return self end",
        b"x = {1, 2; k = 'v', [\"w\"] = [[long\nstring]], f = function(...) return ... end,}",
        b"for i = 1, 10, 2 do if i % 2 == 0 then goto c elseif i > 5 then break else print(i) end ::c:: end",
        b"for k, v in pairs(x) do print(k, v) end while a < 10 do a = a + 1 end",
        b"repeat local z = a until z >= 10 do local s = 'e\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\\'\\z\n  \\x41\\65\\\n' end",
        b"print(#x, -a ^ 2, not b, a .. b .. 'c', 0x1p4, 0xA.8p1, .5, 3., a ~= b, a <= b, a >= b)",
        b"o:m 's' {1} [=[x]=] --[==[ c ]==] -- line\nreturn f((a)), ...",
        b"a.b.c.d = f(1)(2):g(3)[4]",
        b"x = 1 +\n",
    ];

    const DICT: &[&[u8]] = &[
        b"and",
        b"break",
        b"do",
        b"else",
        b"elseif",
        b"end",
        b"false",
        b"for",
        b"function",
        b"goto",
        b"if",
        b"in",
        b"local",
        b"nil",
        b"not",
        b"or",
        b"repeat",
        b"return",
        b"then",
        b"true",
        b"until",
        b"while",
        b"::",
        b"...",
        b"..",
        b"~=",
        b"==",
        b"<=",
        b">=",
        b"[[",
        b"]]",
        b"[=[",
        b"]=]",
        b"--[[",
        b"\\z",
        b"\\x",
        b"0x",
        b"p-",
        b"e+",
        b"(",
        b")",
        b"{",
        b"}",
        b"[",
        b"]",
        b"=",
        b",",
        b";",
        b".",
        b":",
        b"'",
        b"\"",
        b"\n",
        b"\r",
        b"\\",
        b" ",
        b"a",
        b"1",
        b"\\9",
        b"\0",
        b"\xff",
    ];

    /// A deterministic mutation fuzzer (runs where `cargo fuzz` is not
    /// available): 100k mutants of the seeds, on a 2 MiB stack; the parser
    /// must never panic and its errors must keep their invariants.
    #[test]
    fn mutation_fuzz() {
        small_stack(|| {
            let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
            let mut next = move |n: usize| {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                (rng % n.max(1) as u64) as usize
            };
            let mut names = Rodeo::default();
            for _ in 0..100_000 {
                let mut v = SEEDS[next(SEEDS.len())].to_vec();
                for _ in 0..1 + next(6) {
                    let at = next(v.len() + 1);
                    match next(7) {
                        0 if !v.is_empty() => {
                            let i = at.min(v.len() - 1);
                            v[i] = next(256) as u8;
                        }
                        1 => v.insert(at, next(256) as u8),
                        2 => {
                            let tok = DICT[next(DICT.len())];
                            v.splice(at..at, tok.iter().copied());
                        }
                        3 => {
                            let end = (at + next(16)).min(v.len());
                            v.drain(at..end);
                        }
                        4 => {
                            let end = (at + next(16)).min(v.len());
                            let piece = v[at..end].to_vec();
                            for _ in 0..next(300) {
                                v.splice(at..at, piece.iter().copied());
                            }
                        }
                        5 => {
                            let other = SEEDS[next(SEEDS.len())];
                            let a = next(other.len());
                            let b = (a + next(40)).min(other.len());
                            v.splice(at..at, other[a..b].iter().copied());
                        }
                        _ => v.truncate(at),
                    }
                }
                if let Err(e) = parse(&v, b"=f", &mut names) {
                    assert!(e.message.starts_with("f:"), "{:?}", e.message);
                    assert_eq!(e.incomplete_input, e.message.ends_with("<eof>"), "{:?}", e.message);
                }
            }
        });
    }
}
