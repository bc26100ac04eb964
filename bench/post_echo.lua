-- post_echo.lua: the same small JSON POST to every HTTP target of the
-- gateway comparison (the gateway's echo route, nginx, evhttp_echo alone).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"id":"ld_0001m8g8b9t3cmsek394","zip":"78704","n":1}'
