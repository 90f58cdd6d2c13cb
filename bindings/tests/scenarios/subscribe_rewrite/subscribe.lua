-- auth_on_subscribe / on_unsubscribe / on_subscribe: rewriting topics,
-- qos 128 (not allowed), and the argument shapes.
local function key(sub) return sub.topics[1][1] end
hooks = {
  auth_on_subscribe = function(sub)
    local k = key(sub)
    if k == "open/#" then return true end
    if k == "closed/#" then return false end
    if k == "rewrite" then return { { "hello/world", 2 } } end
    if k == "reject-some" then
      local out = {}
      for i, t in ipairs(sub.topics) do
        if string.find(t[1], "^secret") then
          out[i] = { t[1], 128 }
        else
          out[i] = { t[1], math.min(t[2], 1) }
        end
      end
      return out
    end
    if k == "float" then return { { "a/+/b", 1.6 } } end
    if k == "badqos" then return { { "a/b", 3 } } end
    if k == "badfilter" then return { { "a/#/b", 1 } } end
    if k == "notalist" then return { topics = { { "a", 1 } } } end
    if k == "triple" then return { { "a", 1, 2 } } end
    if k == "empty" then return {} end
    if k == "sparse" then return { [1] = { "a", 1 }, [3] = { "b", 0 } } end
    if k == "share" then return { { "$share/g/a/#", 1 } } end
    if k == "share-empty-group" then return { { "$share//a", 1 } } end
    if k == "share-no-topic" then return { { "$share/g", 1 } } end
    if k == "count" then
      -- two topics, the second with qos 2
      return #sub.topics == 2 and sub.topics[2][2] == 2 and sub.topics[2][1] == "x/+/y"
    end
  end,
  on_unsubscribe = function(u)
    local k = u.topics[1]
    if k == "keep" then return true end
    if k == "refuse" then return false end
    if k == "rewrite" then return { "hello/world", "a/+/#" } end
    if k == "bad" then return { "a/#/b" } end
    if k == "sparse" then return { [2] = "x/y", [5] = "z" } end
    if k == "count" then return #u.topics == 3 and u.topics[3] == "c/#" end
  end,
}
