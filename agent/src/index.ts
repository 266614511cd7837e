/** rivulet-agent: the surface other packages import (issue 3 is building it out). */
export {};
