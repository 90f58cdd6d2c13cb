local t = {
[1] = "a\120",
}
return t[1]
