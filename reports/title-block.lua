-- Pandoc writes the title block's metadata into the typst template unescaped, and typst
-- reads a content block that starts with "<digits>. " as a numbered list: the date
-- "2. desember 2026" became list item 2 in the PDF's title block. For typst output this
-- filter escapes the dot of such a start in the title, subtitle and date. It runs in
-- both render paths: Quarto (the report's `filters:`) and pandoc (--lua-filter).
local FIELDS = { "title", "subtitle", "date" }

function Meta(meta)
  if not FORMAT:match("typst") then
    return nil
  end
  for _, key in ipairs(FIELDS) do
    local value = meta[key]
    if pandoc.utils.type(value) == "Inlines" and #value > 0 and value[1].t == "Str" then
      local number = value[1].text:match("^(%d+)%.$")
      if number then
        value[1] = pandoc.RawInline("typst", number .. "\\.")
        meta[key] = value
      end
    end
  end
  return meta
end
