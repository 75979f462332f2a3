<?php

declare(strict_types=1);

namespace Glyphveil;

/** A text or option cannot be encoded; the message names it. */
class OptionError extends TokenError
{
}
