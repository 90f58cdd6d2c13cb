-- required as "lib/helpers": package.path includes the script directory
helpers_loaded = (helpers_loaded or 0) + 1
return {
  describe = function(t)
    local keys = {}
    for k, v in pairs(t) do keys[#keys + 1] = k .. "=" .. (type(v) == "table" and "table" or tostring(v)) end
    table.sort(keys)
    return table.concat(keys, " ")
  end,
}
