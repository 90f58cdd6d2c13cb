//! A small Lua REPL on the embedding API.
//!
//! `cargo run -p oxilua --example repl`. Type statements or expressions
//! (`1 + 1`, `=x` also work); an unfinished statement (`for i = 1, 3 do`)
//! continues on the next line (`>>`), recognised through
//! `LuaError::SyntaxError { incomplete_input: true, .. }`. End with Ctrl-D.

use oxilua::prelude::*;
use std::io::{self, BufRead, Write};

/// The results of a chunk, shown like the standalone `lua` does.
fn show(values: LuaMultiValue) -> String {
    values
        .iter()
        .map(|v| match v {
            LuaValue::String(s) => format!("{:?}", s.to_string_lossy()),
            v => v.to_string().unwrap_or_else(|e| format!("<{e}>")),
        })
        .collect::<Vec<_>>()
        .join("\t")
}

fn main() {
    let lua = Lua::new();
    println!("oxilua REPL ({}). Ctrl-D to exit.", lua.load("_VERSION").eval::<String>().unwrap_or_default());
    let stdin = io::stdin();
    let mut lines = stdin.lock().lines();
    let mut buffer = String::new();
    loop {
        print!("{}", if buffer.is_empty() { "> " } else { ">> " });
        io::stdout().flush().ok();
        let Some(line) = lines.next() else {
            println!();
            break;
        };
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("read error: {e}");
                break;
            }
        };
        if buffer.is_empty() {
            // Lua 5.2's `=expr` shorthand
            match line.strip_prefix('=') {
                Some(expr) => buffer = format!("return {expr}"),
                None => buffer = line,
            }
        } else {
            buffer.push('\n');
            buffer.push_str(&line);
        }
        if buffer.trim().is_empty() {
            buffer.clear();
            continue;
        }
        match lua.load(&buffer).set_name("stdin").eval::<LuaMultiValue>() {
            Ok(values) => {
                if !values.is_empty() {
                    println!("{}", show(values));
                }
            }
            // more input could complete it: keep the buffer and read another line
            Err(LuaError::SyntaxError { incomplete_input: true, .. }) => continue,
            Err(e) => eprintln!("{e}"),
        }
        buffer.clear();
    }
}
