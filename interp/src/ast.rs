//! Abstract syntax tree produced by the parser and consumed by the compiler.
//!
//! Invariant: every node that can raise a runtime error or that the compiler
//! must attribute to a source line carries that line (1-based). Names are
//! interned with `lasso` at parse time; string literals are raw bytes because
//! Lua strings are byte strings, not UTF-8.

use lasso::Spur;

/// An interned identifier (local, global, field or label name).
pub type Name = Spur;

/// A source line, 1-based.
pub type Line = u32;

/// A whole chunk: the main function body (always vararg, no parameters).
#[derive(Debug, Clone)]
pub struct Chunk {
    pub body: Block,
    /// Line of the last token of the chunk (the `<eof>` line).
    pub last_line: Line,
}

/// `block -> {stat} [retstat]`
#[derive(Debug, Clone, Default)]
pub struct Block {
    pub stats: Vec<Stat>,
    /// `retstat -> RETURN [explist] [';']`, with the line of `return`.
    pub ret: Option<Return>,
    /// Line of the token that ends the block (`end`, `until`, `else`, `elseif`, `<eof>`).
    pub end_line: Line,
    /// Line of the last token before the block (`then`, `do`, `else`, `repeat`,
    /// the `)` of a parameter list; 1 for a main chunk).
    pub start_line: Line,
}

#[derive(Debug, Clone)]
pub struct Return {
    pub exprs: Vec<Expr>,
    pub line: Line,
}

#[derive(Debug, Clone)]
pub enum Stat {
    /// A function call used as a statement (`Expr::Call` or `Expr::MethodCall`).
    Call(Expr),
    /// `varlist '=' explist`; targets are `Expr::Name` or `Expr::Index`.
    Assign { targets: Vec<Expr>, exprs: Vec<Expr>, line: Line },
    /// `LOCAL namelist ['=' explist]`
    Local { names: Vec<Name>, exprs: Vec<Expr>, line: Line },
    /// `LOCAL FUNCTION Name funcbody`
    LocalFunction { name: Name, func: Box<FuncBody>, line: Line },
    /// `FUNCTION funcname funcbody`; `funcname -> Name {'.' Name} [':' Name]`.
    /// `path[0]` is the base variable, the rest are field names; when
    /// `method` is true the last element of `path` is the method name and
    /// the body has an implicit `self` first parameter (already added by the parser).
    Function { path: Vec<Name>, method: bool, func: Box<FuncBody>, line: Line },
    /// `DO block END`
    Do(Block),
    /// `WHILE exp DO block END`
    While { cond: Expr, body: Block, line: Line },
    /// `REPEAT block UNTIL exp` (the condition sees the block's locals)
    Repeat { body: Block, cond: Expr, line: Line },
    /// `IF exp THEN block {ELSEIF exp THEN block} [ELSE block] END`
    If { arms: Vec<(Expr, Block)>, orelse: Option<Block>, line: Line },
    /// `FOR Name '=' exp ',' exp [',' exp] DO block END`
    NumericFor { var: Name, start: Expr, limit: Expr, step: Option<Expr>, body: Block, line: Line },
    /// `FOR namelist IN explist DO block END`
    /// `exprs_line`: line of the first token after `in` (the loop's call is reported there).
    GenericFor { names: Vec<Name>, exprs: Vec<Expr>, body: Block, line: Line, exprs_line: Line },
    /// `BREAK`
    Break { line: Line },
    /// `GOTO Name`
    Goto { label: Name, line: Line },
    /// `'::' Name '::'`
    Label { name: Name, line: Line },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Concat,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
    Len,
}

#[derive(Debug, Clone)]
pub enum Expr {
    Nil,
    True,
    False,
    /// `...` (only valid inside a vararg function; the parser checks).
    Vararg {
        line: Line,
    },
    /// A numeral, with its line.
    Number(f64, Line),
    /// A string literal (or a field name used as a key), with its line.
    String(Box<[u8]>, Line),
    /// `FUNCTION funcbody`
    Function(Box<FuncBody>),
    /// `tableconstructor -> '{' [fieldlist] '}'`
    /// `end_line`: line of the closing `}` (where the last items are stored).
    Table {
        fields: Vec<Field>,
        line: Line,
        end_line: Line,
    },
    BinOp {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        line: Line,
    },
    UnOp {
        op: UnOp,
        operand: Box<Expr>,
        line: Line,
    },
    /// A variable name, resolved by the compiler (local, upvalue or global via `_ENV`).
    Name {
        name: Name,
        line: Line,
    },
    /// `prefixexp '[' exp ']'` and `prefixexp '.' Name` (the latter with `Expr::String` key).
    Index {
        obj: Box<Expr>,
        key: Box<Expr>,
        line: Line,
    },
    /// `prefixexp args`
    Call {
        func: Box<Expr>,
        args: Vec<Expr>,
        line: Line,
    },
    /// `prefixexp ':' Name args`
    MethodCall {
        obj: Box<Expr>,
        method: Name,
        args: Vec<Expr>,
        line: Line,
    },
    /// `'(' exp ')'`: truncates multiple results to one.
    Paren(Box<Expr>),
}

#[derive(Debug, Clone)]
pub enum Field {
    /// `exp` (positional)
    Positional(Expr),
    /// `Name '=' exp` (key is the name as a string) and `'[' exp ']' '=' exp`
    Keyed { key: Expr, value: Expr },
}

/// `funcbody -> '(' [parlist] ')' block END`
#[derive(Debug, Clone)]
pub struct FuncBody {
    pub params: Vec<Name>,
    pub is_vararg: bool,
    pub body: Block,
    /// Line of the `function` keyword.
    pub line: Line,
    /// Line of the closing `end`.
    pub end_line: Line,
}

/// Dropping is iterative: chains such as `1+1+...+1` or `a.b.c...` have no
/// depth limit in the grammar, and the derived recursive drop would overflow
/// the stack on them. Children that have children of their own are moved to
/// an explicit stack (replaced by `Nil`) and dropped from there.
///
/// Note: because `Expr` implements `Drop`, its boxed fields cannot be moved
/// out by a by-value `match`; match by reference or use `std::mem::replace`.
impl Drop for Expr {
    fn drop(&mut self) {
        fn is_leaf(e: &Expr) -> bool {
            match e {
                Expr::BinOp { .. }
                | Expr::UnOp { .. }
                | Expr::Index { .. }
                | Expr::Call { .. }
                | Expr::MethodCall { .. }
                | Expr::Paren(_) => false,
                Expr::Table { fields, .. } => fields.is_empty(),
                _ => true,
            }
        }
        fn take(e: &mut Expr, stack: &mut Vec<Expr>) {
            let mut push = |c: &mut Expr| {
                if !is_leaf(c) {
                    stack.push(std::mem::replace(c, Expr::Nil));
                }
            };
            match e {
                Expr::BinOp { lhs: a, rhs: b, .. } | Expr::Index { obj: a, key: b, .. } => {
                    push(a);
                    push(b);
                }
                Expr::UnOp { operand: a, .. } | Expr::Paren(a) => push(a),
                Expr::Call { func: a, args, .. } | Expr::MethodCall { obj: a, args, .. } => {
                    push(a);
                    args.iter_mut().for_each(push);
                }
                Expr::Table { fields, .. } => {
                    for f in fields.iter_mut() {
                        match f {
                            Field::Positional(v) => push(v),
                            Field::Keyed { key, value } => {
                                push(key);
                                push(value);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if is_leaf(self) {
            return;
        }
        let mut stack = Vec::new();
        take(self, &mut stack);
        while let Some(mut e) = stack.pop() {
            take(&mut e, &mut stack);
            // `e` now has only leaf children: dropping it does not recurse further.
        }
    }
}
