-- Argo CD health of a milvusload.io CollectionLoadPolicy. Argo CD runs this
-- with gopher-lua (Lua 5.1) and, for a check from argocd-cm, only the base,
-- table and os libraries: no string library, hence `..` and no string.*.
-- Order matters: a status older than the spec says nothing yet; a person's
-- suspend outranks everything the operator could report.
local hs = {}

local function condition(kind)
  for _, c in ipairs(obj.status.conditions) do
    if c.type == kind then return c end
  end
  return nil
end

local function says(c)
  return (c.reason or "") .. ": " .. (c.message or "")
end

-- Ready=False reasons that stay until a person acts, even where the operator
-- does not set Stalled (Conflict, a missing collection, a missing estimate).
local needsPerson = {
  Conflict = true, CollectionNotFound = true, PartitionNotFound = true,
  DatabaseNotFound = true, NoEstimate = true, InvalidSpec = true,
  SecretNotFound = true, SecretInvalid = true, AuthenticationFailed = true,
  PermissionDenied = true, IndexNotFound = true, ReconfigureRefused = true,
  InvalidRequest = true, Unimplemented = true, LoadTimedOut = true,
}

if obj.status == nil or obj.status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report a status"
  return hs
end
local generation = obj.metadata.generation or 0
if obj.status.observedGeneration == nil or obj.status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to see generation " .. generation
  return hs
end

local suspended = condition("Suspended")
local ready = condition("Ready")
local stalled = condition("Stalled")
local degraded = condition("Degraded")
if suspended ~= nil and suspended.status == "True" then
  hs.status = "Suspended"
  -- Ready says what differs from the spec, and why (the suspension).
  if ready ~= nil and ready.status ~= "True" then hs.message = says(ready) else hs.message = says(suspended) end
  return hs
end
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = says(ready)
  return hs
end
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = says(stalled)
  return hs
end
-- Milvus down, out of memory, a load past its timeout: the operator retries,
-- and Argo CD shows (and notifies) the outage until it is over.
if degraded ~= nil and degraded.status == "True" then
  hs.status = "Degraded"
  hs.message = says(degraded)
  return hs
end
if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report Ready"
  return hs
end
if needsPerson[ready.reason] then
  hs.status = "Degraded"
elseif ready.reason == "NothingSelected" then
  -- Patterns that match nothing yet: nothing to load, so nothing is wrong.
  hs.status = "Healthy"
else
  -- Loading, Pending, OverBudget, Preempted, NotObserved, ...: on its way.
  hs.status = "Progressing"
end
hs.message = says(ready)
return hs
