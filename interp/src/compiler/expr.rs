//! Expressions: AST expression → [`ExpDesc`], following the order in which
//! PUC's recursive-descent parser generates code (`subexpr`, `simpleexp`,
//! `suffixedexp`, `funcargs`, `constructor`).
//!
//! Operator trees (`BinOp`, `UnOp`, `Paren`) of any shape and suffix chains
//! (`a.b[c](d):m(e)`) are walked with explicit stacks: their depth is not
//! bounded by the parser (left-associative chains are built by a loop), so
//! recursion here happens only through constructs the parser does nest-limit
//! (table constructors, call arguments, index keys, function bodies).

use super::code::{ExpDesc, ExpKind, MULTRET};
use super::{CResult, Compiler, Sym};
use crate::ast::{BinOp, Expr, Field, UnOp};
use crate::opcodes::{int_to_fb, OpCode, LFIELDS_PER_FLUSH};

/// Work items of the iterative operator-tree evaluator.
enum Task<'e> {
    Eval(&'e Expr),
    /// Left operand done: prepare it, then evaluate the right operand.
    Infix(BinOp, &'e Expr, u32),
    /// Both operands done: combine.
    Posfix(BinOp, u32),
    Prefix(UnOp, u32),
    /// `( exp )`: a parenthesised expression is a single value.
    Paren,
}

/// The line an expression is attributed to, as far as the AST knows (0: unknown).
pub(super) fn expr_line(e: &Expr) -> u32 {
    let mut e = e;
    loop {
        return match e {
            Expr::Vararg { line }
            | Expr::Table { line, .. }
            | Expr::BinOp { line, .. }
            | Expr::UnOp { line, .. }
            | Expr::Name { line, .. }
            | Expr::Index { line, .. }
            | Expr::Call { line, .. }
            | Expr::MethodCall { line, .. } => *line,
            Expr::Function(f) => f.line,
            Expr::Paren(inner) => {
                e = inner;
                continue;
            }
            Expr::Number(_, line) | Expr::String(_, line) => *line,
            Expr::Nil | Expr::True | Expr::False => 0,
        };
    }
}

impl Compiler<'_> {
    /// `expr -> subexpr`: compile any expression.
    pub(super) fn expr(&mut self, e: &Expr) -> CResult<ExpDesc> {
        if !matches!(e, Expr::BinOp { .. } | Expr::UnOp { .. } | Expr::Paren(_)) {
            return self.simple_expr(e);
        }
        let mut tasks = vec![Task::Eval(e)];
        let mut vals: Vec<ExpDesc> = Vec::new();
        while let Some(t) = tasks.pop() {
            match t {
                Task::Eval(Expr::BinOp { op, lhs, rhs, line }) => {
                    tasks.push(Task::Infix(*op, rhs, *line));
                    tasks.push(Task::Eval(lhs));
                }
                Task::Eval(Expr::UnOp { op, operand, line }) => {
                    self.set_line(*line);
                    tasks.push(Task::Prefix(*op, *line));
                    tasks.push(Task::Eval(operand));
                }
                Task::Eval(Expr::Paren(inner)) => {
                    tasks.push(Task::Paren);
                    tasks.push(Task::Eval(inner));
                }
                Task::Eval(leaf) => {
                    let v = self.simple_expr(leaf)?;
                    vals.push(v);
                }
                Task::Infix(op, rhs, line) => {
                    self.set_line(line);
                    let v = vals.last_mut().expect("operand stack underflow");
                    self.fs().infix(op, v)?;
                    tasks.push(Task::Posfix(op, line));
                    tasks.push(Task::Eval(rhs));
                }
                Task::Posfix(op, line) => {
                    let mut v2 = vals.pop().expect("operand stack underflow");
                    let v1 = vals.last_mut().expect("operand stack underflow");
                    self.fs().posfix(op, v1, &mut v2, line)?;
                }
                Task::Prefix(op, line) => {
                    let v = vals.last_mut().expect("operand stack underflow");
                    self.fs().prefix(op, v, line)?;
                }
                Task::Paren => {
                    let v = vals.last_mut().expect("operand stack underflow");
                    self.fs().discharge_vars(v);
                }
            }
        }
        debug_assert_eq!(vals.len(), 1);
        Ok(vals.pop().expect("no value"))
    }

    /// `simpleexp -> NUMBER | STRING | NIL | TRUE | FALSE | ... |
    ///                constructor | FUNCTION body | suffixedexp`
    fn simple_expr(&mut self, e: &Expr) -> CResult<ExpDesc> {
        Ok(match e {
            Expr::Nil => ExpDesc::new(ExpKind::Nil),
            Expr::True => ExpDesc::new(ExpKind::True),
            Expr::False => ExpDesc::new(ExpKind::False),
            Expr::Number(n, line) => {
                // its load (when discharged) is on the literal's line or later
                self.set_line(*line);
                ExpDesc::new(ExpKind::KNum(*n))
            }
            Expr::String(s, line) => {
                self.set_line(*line);
                ExpDesc::new(ExpKind::K(self.fs().string_k(s)?))
            }
            Expr::Vararg { line } => {
                // Emitted before `...` is consumed.
                let pc = self.fs().code_abc(OpCode::VarArg, 0, 1, 0);
                self.set_line(*line);
                ExpDesc::new(ExpKind::VarArg(pc))
            }
            Expr::Function(body) => self.body(body, 0)?,
            Expr::Table { fields, line, end_line } => self.constructor(fields, *line, *end_line)?,
            Expr::Name { name, line } => {
                self.set_line(*line);
                self.single_var(Sym::Name(*name))?
            }
            Expr::Index { .. } | Expr::Call { .. } | Expr::MethodCall { .. } => self.suffixed(e)?,
            Expr::BinOp { .. } | Expr::UnOp { .. } | Expr::Paren(_) => self.expr(e)?,
        })
    }

    /// A variable by name: local, upvalue, or `_ENV.name`.
    pub(super) fn single_var(&mut self, name: Sym) -> CResult<ExpDesc> {
        if let Some(k) = self.resolve(name)? {
            return Ok(ExpDesc::new(k));
        }
        let env = self.env;
        let env = self.resolve(env)?.expect("_ENV is always visible");
        let mut v = ExpDesc::new(env);
        let key = self.sym_str(name).as_bytes();
        let fs = self.fs();
        let k = fs.string_k(key)?;
        fs.indexed(&mut v, &mut ExpDesc::new(ExpKind::K(k)))?;
        Ok(v)
    }

    /// `suffixedexp -> primaryexp { '.' NAME | '[' exp ']' | ':' NAME funcargs | funcargs }`
    fn suffixed(&mut self, e: &Expr) -> CResult<ExpDesc> {
        let mut spine: Vec<&Expr> = Vec::new();
        let mut cur = e;
        loop {
            match cur {
                Expr::Index { obj, .. } | Expr::MethodCall { obj, .. } => {
                    spine.push(cur);
                    cur = obj;
                }
                Expr::Call { func, .. } => {
                    spine.push(cur);
                    cur = func;
                }
                _ => break,
            }
        }
        // Calls are attributed to the line where the whole suffixed
        // expression starts, as PUC does.
        let mut start_line = expr_line(cur);
        if start_line == 0 {
            start_line = spine.last().map_or(0, |s| expr_line(s));
        }
        let mut v = self.expr(cur)?;
        for node in spine.iter().rev() {
            match node {
                Expr::Index { key, line, .. } => {
                    self.fs().exp2anyregup(&mut v)?;
                    let mut k = self.expr(key)?;
                    self.set_line(*line);
                    let fs = self.fs();
                    fs.exp2val(&mut k)?;
                    fs.indexed(&mut v, &mut k)?;
                }
                Expr::Call { args, line, .. } => {
                    self.fs().exp2nextreg(&mut v)?;
                    let l = if start_line != 0 { start_line } else { *line };
                    self.funcargs(&mut v, args, l)?;
                }
                Expr::MethodCall { method, args, line, .. } => {
                    let name = self.name_str(*method).as_bytes();
                    let fs = self.fs();
                    let mut key = ExpDesc::new(ExpKind::K(fs.string_k(name)?));
                    fs.self_op(&mut v, &mut key)?;
                    let l = if start_line != 0 { start_line } else { *line };
                    self.funcargs(&mut v, args, l)?;
                }
                _ => unreachable!(),
            }
        }
        Ok(v)
    }

    /// `funcargs -> '(' [explist] ')' | constructor | STRING`, the function
    /// being in register `f`.
    fn funcargs(&mut self, f: &mut ExpDesc, args: &[Expr], line: u32) -> CResult<()> {
        let mut a = ExpDesc::new(ExpKind::Void);
        if !args.is_empty() {
            a = self.explist(args)?.1;
            self.fs().set_multret(&mut a)?;
        }
        let fs = self.fs();
        let base = f.reg();
        let nparams = if a.has_multret() {
            MULTRET
        } else {
            if a.k != ExpKind::Void {
                fs.exp2nextreg(&mut a)?;
            }
            (fs.freereg - (base + 1)) as i32
        };
        f.k = ExpKind::Call(fs.code_abc(OpCode::Call, base, (nparams + 1) as u32, 2));
        fs.fix_line(line);
        // The call consumes the function and arguments and leaves one result.
        fs.freereg = base + 1;
        Ok(())
    }

    /// `explist -> expr { ',' expr }`: all but the last value go to
    /// consecutive registers; returns the count and the last expression.
    pub(super) fn explist(&mut self, exprs: &[Expr]) -> CResult<(usize, ExpDesc)> {
        let (last, init) = exprs.split_last().expect("empty expression list");
        for e in init {
            let mut v = self.expr(e)?;
            self.fs().exp2nextreg(&mut v)?;
        }
        Ok((exprs.len(), self.expr(last)?))
    }

    /// `constructor -> '{' [ field { sep field } [sep] ] '}'`
    fn constructor(&mut self, fields: &[Field], line: u32, end_line: u32) -> CResult<ExpDesc> {
        // NEWTABLE is emitted before `{` is consumed.
        let fs = self.fs();
        let pc = fs.code_abc(OpCode::NewTable, 0, 0, 0);
        let mut t = ExpDesc::new(ExpKind::Relocable(pc));
        fs.exp2nextreg(&mut t)?;
        self.set_line(line);
        let treg = t.reg();
        let (mut na, mut nh, mut tostore) = (0u32, 0u32, 0u32);
        let mut v = ExpDesc::new(ExpKind::Void); // pending list item
        for field in fields {
            if v.k != ExpKind::Void {
                let fs = self.fs();
                fs.exp2nextreg(&mut v)?;
                v = ExpDesc::new(ExpKind::Void);
                if tostore == LFIELDS_PER_FLUSH {
                    fs.set_list(treg, na, tostore as i32)?;
                    tostore = 0;
                }
            }
            match field {
                Field::Keyed { key, value } => {
                    // recfield -> (NAME | '[' exp ']') '=' exp
                    let reg = self.fs().freereg;
                    nh += 1;
                    let mut k = self.expr(key)?;
                    let fs = self.fs();
                    fs.exp2val(&mut k)?;
                    let rkkey = fs.exp2rk(&mut k)?;
                    let mut val = self.expr(value)?;
                    let fs = self.fs();
                    let rkval = fs.exp2rk(&mut val)?;
                    fs.code_abc(OpCode::SetTable, treg, rkkey, rkval);
                    fs.freereg = reg;
                }
                Field::Positional(e) => {
                    v = self.expr(e)?;
                    na += 1;
                    tostore += 1;
                }
            }
        }
        self.set_line(end_line); // the last items are stored after the `}`
        let fs = self.fs();
        if tostore > 0 {
            if v.has_multret() {
                fs.set_multret(&mut v)?;
                fs.set_list(treg, na, MULTRET)?;
                na -= 1; // the open item's count is unknown
            } else {
                if v.k != ExpKind::Void {
                    fs.exp2nextreg(&mut v)?;
                }
                fs.set_list(treg, na, tostore as i32)?;
            }
        }
        let i = &mut fs.f.code[pc];
        i.set_b(int_to_fb(na));
        i.set_c(int_to_fb(nh));
        Ok(t)
    }
}
